package dev.berth.cli.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.AddressPool;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The daemon's default address pools: how many bridge networks the daemon can still hand out, and
 * which pools berth judges users' {@code --subnet} by. berth gives every user who runs containers
 * their own default network and every user who builds their own build network, each drawn from the
 * daemon's {@code default-address-pools}; once the pools are used up, the next user's first {@code
 * docker run} fails with "all predefined address pools have been fully subnetted". {@code /info}
 * lists the pools only when they are configured; without them dockerd uses its built-in pools
 * ({@link AddressPool#BUILT_IN}, 31 networks in all). Roles without {@code allow.address_pools}
 * take the same pools, read the same way ({@link AddressPool#ofDaemon}).
 */
final class AddressPoolCheck {
  static final String NAME = "address pools";

  /** Networks a host should be able to give: two each for a hundred-odd users. */
  static final long ENOUGH = 256;

  private static final String REMEDY =
      "set \"default-address-pools\": [{\"base\": \"10.200.0.0/16\", \"size\": 24}] in "
          + "daemon.json (256 networks; pick a range no host route uses)";

  private AddressPoolCheck() {}

  /** {@code pools} is the {@code DefaultAddressPools} field of {@code GET /info}. */
  static Finding check(JsonNode pools) {
    List<AddressPool> used;
    try {
      used = AddressPool.ofDaemon(pools);
    } catch (IllegalArgumentException e) {
      return Finding.warn(
          NAME,
          "the daemon's DefaultAddressPools cannot be read ("
              + e.getMessage()
              + "): berth refuses every --subnet of roles without allow.address_pools",
          REMEDY);
    }
    long networks = used.stream().mapToLong(AddressPool::subnets).sum();
    String detail =
        networks
            + " bridge networks from "
            + (used.equals(AddressPool.BUILT_IN)
                ? "dockerd's built-in pools (default-address-pools not set)"
                : "default-address-pools")
            + " "
            + used.stream().map(AddressPool::toString).collect(Collectors.joining(", "))
            + "; every user takes one for their default network and one more once they build;"
            + " a --subnet of a role without allow.address_pools must lie in these pools";
    return networks >= ENOUGH ? Finding.ok(NAME, detail) : Finding.warn(NAME, detail, REMEDY);
  }
}
