package dev.berth.policy;

import com.fasterxml.jackson.databind.JsonNode;
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
   * dockerd's built-in local default pools, used when it is given no {@code default-address-pools}:
   * 172.17.0.0/16 to 172.31.0.0/16 in /16s, and 192.168.0.0/16 in /20s (moby {@code
   * libnetwork/ipamutils/utils.go}, {@code localScopeDefaultNetworks}: 172.17, 172.18 and 172.19 as
   * /16s, 172.20, 172.24 and 172.28 as /14s and 192.168.0.0/16, split into /16s and /20s; the same
   * in 20.10 and 28.x).
   */
  public static final List<AddressPool> BUILT_IN = builtIn();

  private static List<AddressPool> builtIn() {
    List<AddressPool> pools = new ArrayList<>();
    for (int b = 17; b <= 31; b++) {
      pools.add(new AddressPool(Ipv4Block.parse("172." + b + ".0.0/16"), 16));
    }
    pools.add(new AddressPool(Ipv4Block.parse("192.168.0.0/16"), 20));
    return List.copyOf(pools);
  }

  /**
   * The IPv4 pools the daemon draws its networks from, read from the {@code DefaultAddressPools} of
   * its {@code GET /info} (a list of {@code {"Base": "10.200.0.0/16", "Size": 24}}, present on
   * 20.10 and current engines once {@code default-address-pools} is configured): the IPv4 ones
   * listed, or {@link #BUILT_IN} when it lists none (not configured; or only IPv6 pools, which
   * berth skips since it refuses IPv6 subnets, and then judges by the built-in IPv4 pools).
   *
   * @param pools the {@code DefaultAddressPools} field (missing or null: none listed)
   * @throws IllegalArgumentException when an entry is not a pool berth can read (fail closed: the
   *     daemon validated its pools when it started, so this is not the daemon berth knows)
   */
  public static List<AddressPool> ofDaemon(JsonNode pools) {
    if (pools.isMissingNode() || pools.isNull()) {
      return BUILT_IN;
    }
    if (!pools.isArray()) {
      throw new IllegalArgumentException("DefaultAddressPools is not a list: " + pools);
    }
    List<AddressPool> out = new ArrayList<>();
    for (JsonNode pool : pools) {
      String base = pool.path("Base").asText("");
      if (base.contains(":")) {
        continue; // IPv6: berth draws no IPv6 subnets
      }
      if (!pool.path("Size").isInt()) {
        throw new IllegalArgumentException("a default address pool has no size: " + pool);
      }
      try {
        out.add(new AddressPool(Ipv4Block.parse(base), pool.path("Size").asInt()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "a default address pool cannot be read (" + e.getMessage() + "): " + pool);
      }
    }
    return out.isEmpty() ? BUILT_IN : List.copyOf(out);
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
