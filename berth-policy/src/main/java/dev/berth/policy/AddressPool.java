package dev.berth.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * A block users' networks may take their subnets from, as dockerd's {@code default-address-pools}:
 * a subnet a user names must lie inside {@code base} and be no larger than a {@code /size}.
 *
 * @param base the pool
 * @param size the shortest prefix length a subnet of this pool may have
 */
public record AddressPool(Ipv4Block base, int size) {
  public AddressPool {
    if (size < base.prefix() || size > 32) {
      throw new IllegalArgumentException(
          "size must be between the base's prefix length (" + base.prefix() + ") and 32");
    }
  }

  /**
   * dockerd's own local default pools (libnetwork {@code ipamutils}): 172.17.0.0/16 to
   * 172.31.0.0/16 in /16s, and 192.168.0.0/16 in /20s.
   */
  public static final List<AddressPool> DAEMON_DEFAULTS = defaults();

  private static List<AddressPool> defaults() {
    List<AddressPool> pools = new ArrayList<>();
    for (int b = 17; b <= 31; b++) {
      pools.add(new AddressPool(Ipv4Block.parse("172." + b + ".0.0/16"), 16));
    }
    pools.add(new AddressPool(Ipv4Block.parse("192.168.0.0/16"), 20));
    return List.copyOf(pools);
  }

  /** How many subnets of the pool's size it holds (what dockerd can allocate from it). */
  public long subnets() {
    return 1L << (size - base.prefix());
  }

  /** Whether {@code subnet} may be drawn from this pool. */
  public boolean admits(Ipv4Block subnet) {
    return base.contains(subnet) && subnet.prefix() >= size;
  }

  @Override
  public String toString() {
    return base + " in /" + size + "s";
  }
}
