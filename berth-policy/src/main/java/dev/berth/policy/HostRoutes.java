package dev.berth.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The IPv4 routes of the host berth runs on, which a user's custom subnet must not shadow (a
 * network on the host's LAN or DNS server's subnet would capture their traffic). The default route
 * is left out: every subnet lies inside it.
 */
public interface HostRoutes {
  /** The routes' destinations, without the default route. */
  List<Ipv4Block> routes() throws IOException;

  /** A host without routes (tests, a policy explained offline). */
  HostRoutes NONE = List::of;

  /**
   * The kernel's IPv4 routing table, read from {@code /proc/net/route}: one line per route,
   * destination and mask as hexadecimal numbers in the host's (little-endian) byte order.
   */
  static HostRoutes local() {
    return () -> parse(Files.readAllLines(Path.of("/proc/net/route"), StandardCharsets.US_ASCII));
  }

  /** The destinations in the lines of {@code /proc/net/route} (its header first). */
  static List<Ipv4Block> parse(List<String> lines) throws IOException {
    List<Ipv4Block> out = new ArrayList<>();
    for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
      String[] f = line.trim().split("\\s+");
      if (f.length < 8) {
        continue;
      }
      try {
        long dest =
            Integer.toUnsignedLong(Integer.reverseBytes(Integer.parseUnsignedInt(f[1], 16)));
        int prefix = Integer.bitCount(Integer.parseUnsignedInt(f[7], 16));
        if (prefix > 0) {
          out.add(new Ipv4Block(dest, prefix));
        }
      } catch (IllegalArgumentException e) {
        throw new IOException("unreadable route in /proc/net/route: " + line, e);
      }
    }
    return out;
  }
}
