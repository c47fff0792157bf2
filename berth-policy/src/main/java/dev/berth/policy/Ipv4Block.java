package dev.berth.policy;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * A block of IPv4 addresses in CIDR notation ({@code 172.20.0.0/16}): a network's subnet, an
 * address pool, a host route.
 *
 * @param start the first address, as an unsigned 32-bit number (host bits zero)
 * @param prefix the prefix length, 0-32
 */
public record Ipv4Block(long start, int prefix) {
  public Ipv4Block {
    if (prefix < 0 || prefix > 32) {
      throw new IllegalArgumentException("prefix length must be 0-32");
    }
    if ((start & ~mask(prefix)) != 0 || start < 0 || start > 0xffffffffL) {
      throw new IllegalArgumentException("host bits set");
    }
  }

  /**
   * Parses {@code a.b.c.d/n}; the address must be the block's first (as dockerd demands of a subnet
   * it is given).
   *
   * @throws IllegalArgumentException with the reason when it is not such a block
   */
  public static Ipv4Block parse(String cidr) {
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("expected an IPv4 subnet such as 172.20.0.0/16");
    }
    long address = address(cidr.substring(0, slash));
    int prefix;
    try {
      prefix = Integer.parseInt(cidr.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a prefix length after '/'");
    }
    if (prefix < 0 || prefix > 32) {
      throw new IllegalArgumentException("prefix length must be 0-32");
    }
    if ((address & ~mask(prefix)) != 0) {
      throw new IllegalArgumentException(
          "host bits are set (the subnet starts at "
              + new Ipv4Block(address & mask(prefix), prefix)
              + ")");
    }
    return new Ipv4Block(address, prefix);
  }

  /** One IPv4 address ({@code a.b.c.d}) as an unsigned number. */
  public static long address(String text) {
    InetAddress a;
    try {
      a = InetAddress.ofLiteral(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address");
    }
    if (!(a instanceof Inet4Address)) {
      throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
    }
    long v = 0;
    for (byte b : a.getAddress()) {
      v = (v << 8) | (b & 0xff);
    }
    return v;
  }

  /** The last address of the block. */
  public long end() {
    return start | (~mask(prefix) & 0xffffffffL);
  }

  public boolean contains(long address) {
    return address >= start && address <= end();
  }

  public boolean contains(Ipv4Block other) {
    return other.start >= start && other.end() <= end();
  }

  public boolean overlaps(Ipv4Block other) {
    return other.start <= end() && start <= other.end();
  }

  private static long mask(int prefix) {
    return prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
  }

  @Override
  public String toString() {
    return (start >> 24)
        + "."
        + ((start >> 16) & 0xff)
        + "."
        + ((start >> 8) & 0xff)
        + "."
        + (start & 0xff)
        + "/"
        + prefix;
  }
}
