package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

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
 * @param buildFrontends BuildKit frontend images a build may run ({@code # syntax=} or {@code
 *     BUILDKIT_SYNTAX}), each pinned by digest ({@code docker/dockerfile:1.7@sha256:...}); empty:
 *     only the daemon's built-in Dockerfile frontend
 * @param addressPools where the subnets users name for their networks must lie ({@code --subnet});
 *     empty (the default): the daemon's own default pools, asked of the daemon ({@link
 *     ObjectDirectory#defaultAddressPools})
 */
public record Allowances(
    Set<String> capAdd,
    Set<String> sysctls,
    Set<String> annotations,
    Set<String> logDrivers,
    int minHostPort,
    Set<String> buildRemote,
    Set<String> buildFrontends,
    Optional<List<AddressPool>> addressPools) {

  /** An image reference pinned by digest, with or without a tag. */
  public static final Pattern PINNED =
      Pattern.compile("^[a-z0-9][a-z0-9._/:-]*@sha256:[0-9a-f]{64}$");

  /** The baseline: nothing extra, the log drivers that stay on the host, unprivileged ports. */
  public static final Allowances BASELINE =
      new Allowances(
          Set.of(), Set.of(), Set.of(), Set.of("json-file", "local", "none", "journald"), 1024);

  public Allowances {
    capAdd = Set.copyOf(capAdd);
    sysctls = Set.copyOf(sysctls);
    annotations = Set.copyOf(annotations);
    logDrivers = Set.copyOf(requireNonNull(logDrivers, "logDrivers"));
    if (minHostPort < 1 || minHostPort > 65535) {
      throw new IllegalArgumentException("min_host_port must be 1-65535");
    }
    buildRemote = Set.copyOf(buildRemote);
    buildFrontends = Set.copyOf(buildFrontends);
    for (String f : buildFrontends) {
      if (!PINNED.matcher(f).matches()) {
        throw new IllegalArgumentException(
            "build_frontends: "
                + f
                + " is not pinned by digest "
                + "(NAME@sha256:<64 hex digits>)");
      }
    }
    addressPools = addressPools.map(List::copyOf);
  }

  /** Allowances with the daemon's default address pools. */
  public Allowances(
      Set<String> capAdd,
      Set<String> sysctls,
      Set<String> annotations,
      Set<String> logDrivers,
      int minHostPort,
      Set<String> buildRemote) {
    this(
        capAdd,
        sysctls,
        annotations,
        logDrivers,
        minHostPort,
        buildRemote,
        Set.of(),
        Optional.empty());
  }

  /** Allowances without remote build contexts. */
  public Allowances(
      Set<String> capAdd,
      Set<String> sysctls,
      Set<String> annotations,
      Set<String> logDrivers,
      int minHostPort) {
    this(capAdd, sysctls, annotations, logDrivers, minHostPort, Set.of());
  }
}
