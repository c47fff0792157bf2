package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Set;

/**
 * What a role may ask for beyond the safe baseline, each an allowlist set by the administrator.
 *
 * @param capAdd capabilities a container may add back after {@code CapDrop: ALL}, as upper-case
 *     names without the {@code CAP_} prefix
 * @param sysctls sysctl keys a container may set
 * @param annotations annotation keys a container may carry
 * @param logDrivers log drivers a container may use
 * @param minHostPort the lowest host port a container may publish
 * @param buildRemote URL prefixes a build may name as its remote context ({@code docker build
 *     https://...} or a git URL), which the daemon fetches as root; empty: none
 * @param addressPools where the subnets users name for their networks must lie
 *     ({@code --subnet}); by default dockerd's own default pools
 */
public record Allowances(Set<String> capAdd, Set<String> sysctls, Set<String> annotations,
    Set<String> logDrivers, int minHostPort, Set<String> buildRemote,
    List<AddressPool> addressPools) {

  /** The baseline: nothing extra, the log drivers that stay on the host, unprivileged ports. */
  public static final Allowances BASELINE =
      new Allowances(Set.of(), Set.of(), Set.of(), Set.of("json-file", "local", "none",
          "journald"), 1024);

  public Allowances {
    capAdd = Set.copyOf(capAdd);
    sysctls = Set.copyOf(sysctls);
    annotations = Set.copyOf(annotations);
    logDrivers = Set.copyOf(requireNonNull(logDrivers, "logDrivers"));
    if (minHostPort < 1 || minHostPort > 65535) {
      throw new IllegalArgumentException("min_host_port must be 1-65535");
    }
    buildRemote = Set.copyOf(buildRemote);
    addressPools = List.copyOf(addressPools);
  }

  /** Allowances with dockerd's default address pools. */
  public Allowances(Set<String> capAdd, Set<String> sysctls, Set<String> annotations,
      Set<String> logDrivers, int minHostPort, Set<String> buildRemote) {
    this(capAdd, sysctls, annotations, logDrivers, minHostPort, buildRemote,
        AddressPool.DAEMON_DEFAULTS);
  }

  /** Allowances without remote build contexts. */
  public Allowances(Set<String> capAdd, Set<String> sysctls, Set<String> annotations,
      Set<String> logDrivers, int minHostPort) {
    this(capAdd, sysctls, annotations, logDrivers, minHostPort, Set.of(),
        AddressPool.DAEMON_DEFAULTS);
  }
}
