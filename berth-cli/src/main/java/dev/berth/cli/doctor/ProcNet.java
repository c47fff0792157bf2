package dev.berth.cli.doctor;

import java.util.HexFormat;

/** Addresses as {@code /proc/net/tcp{,6}} writes them: hex, in the host's (little-endian) order. */
final class ProcNet {
  private ProcNet() {}

  /** {@code 0100007F:0CEA} → {@code 127.0.0.1:3306}; IPv6 as eight hex groups. */
  static String address(String hex) {
    String[] parts = hex.split(":");
    int port = Integer.parseInt(parts[1], 16);
    byte[] raw = HexFormat.of().parseHex(parts[0]);
    StringBuilder host = new StringBuilder();
    if (raw.length == 4) {
      for (int i = 3; i >= 0; i--) {
        host.append(raw[i] & 0xff).append(i > 0 ? "." : "");
      }
      return host + ":" + port;
    }
    // IPv6: four 32-bit words, each little-endian.
    host.append('[');
    for (int w = 0; w < 4; w++) {
      for (int b = 3; b >= 0; b -= 2) {
        int hi = raw[w * 4 + b] & 0xff;
        int lo = raw[w * 4 + b - 1] & 0xff;
        host.append(Integer.toHexString(hi << 8 | lo)).append(w == 3 && b == 1 ? "" : ":");
      }
    }
    return host.append("]:").append(port).toString();
  }
}
