package dev.berth.cli.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.AddressPool;
import dev.berth.policy.Ipv4Block;

/**
 * How many bridge networks the daemon can still hand out. berth gives every user who runs
 * containers their own default network and every user who builds their own build network, each
 * drawn from the daemon's {@code default-address-pools}; once the pools are used up, the next
 * user's first {@code docker run} fails with "all predefined address pools have been fully
 * subnetted". {@code /info} lists the pools only when they are configured; without them dockerd
 * uses 172.17–31.0.0/16 and 192.168.0.0/16 in /20s, 31 networks in all.
 */
final class AddressPoolCheck {
  static final String NAME = "address pools";

  /** Networks a host should be able to give: two each for a hundred-odd users. */
  static final long ENOUGH = 256;

  private static final long DOCKERD_DEFAULT =
      AddressPool.DAEMON_DEFAULTS.stream().mapToLong(AddressPool::subnets).sum();

  private AddressPoolCheck() {}

  /** {@code pools} is the {@code DefaultAddressPools} field of {@code GET /info}. */
  static Finding check(JsonNode pools) {
    long networks = 0;
    String source;
    if (pools.isArray() && !pools.isEmpty()) {
      for (JsonNode pool : pools) {
        networks += networks(pool.path("Base").asText(""), pool.path("Size").asInt(0));
      }
      source = "default-address-pools " + pools;
    } else {
      networks = DOCKERD_DEFAULT;
      source = "dockerd's built-in pools (default-address-pools not set)";
    }
    String detail =
        networks
            + " bridge networks from "
            + source
            + "; every user takes one "
            + "for their default network and one more once they build";
    return networks >= ENOUGH
        ? Finding.ok(NAME, detail)
        : Finding.warn(
            NAME,
            detail,
            "set \"default-address-pools\": [{\"base\": \"10.200.0.0/16\", \"size\": 24}] in "
                + "daemon.json (256 networks; pick a range no host route uses)");
  }

  /** Networks of prefix length {@code size} in {@code base} (an IPv4 CIDR); 0 if unreadable. */
  static long networks(String base, int size) {
    try {
      return new AddressPool(Ipv4Block.parse(base), size).subnets();
    } catch (IllegalArgumentException e) {
      return 0;
    }
  }
}
