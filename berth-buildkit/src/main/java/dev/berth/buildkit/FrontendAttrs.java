package dev.berth.buildkit;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The options a BuildKit build passes to its frontend ({@code Control.Solve.FrontendAttrs}, {@code
 * LLBBridge.Solve.FrontendOpt}), judged key by key for one caller.
 *
 * <p>Design note. The keys are read by the Dockerfile frontend (buildkit {@code
 * frontend/dockerui/config.go} and {@code attr.go}); buildx sets them from its flags ({@code
 * build/opt.go}). Unknown keys are refused, so a newer frontend option is refused until someone has
 * judged it. What berth changes:
 *
 * <ul>
 *   <li>{@code build-arg:BUILDKIT_CACHE_MOUNT_NS} is forced to {@code berth-<uid>}: the Dockerfile
 *       frontend prefixes every {@code RUN --mount=type=cache} id with it, so two users' cache
 *       mounts never meet (moby/buildkit#2838). This holds for the built-in frontend only, which is
 *       why custom frontends are refused.
 *   <li>{@code label:dev.berth.owner.uid} and {@code .gid} are set to the caller's, so the image
 *       carries its owner; other {@code dev.berth.*} labels are refused.
 *   <li>{@code force-network-mode} is forced to {@code none}: dockerd runs BuildKit's steps either
 *       on the daemon's default bridge, shared with every user's containers (a step is root with
 *       {@code NET_RAW}), or on the host's network; it has no per-user network for them (moby
 *       {@code daemon/internal/builder-next/executor_linux.go}). The Dockerfile frontend makes it
 *       the default of every {@code RUN} ({@code dockerui/config.go}, {@code
 *       dockerfile2llb/convert.go}); {@code RUN --network=host} needs the {@code network.host}
 *       entitlement, which berth never passes. Builds that need the network use the classic
 *       builder, whose steps get the caller's own build network.
 *   <li>Frontend images: the built-in Dockerfile frontend runs the image a {@code BUILDKIT_SYNTAX}
 *       build-arg or a {@code syntax} directive names, inside the daemon with the gateway API,
 *       outside berth's view (buildkit {@code frontend/dockerfile/builder/build.go}, {@code
 *       Build}), unless {@code cmdline} is set. {@code BUILDKIT_SYNTAX} must name an image the
 *       caller's role pins ({@link FrontendPins}); the directive is checked as the Dockerfile
 *       crosses the caller's session ({@link SessionCall}). When the Dockerfile would not come
 *       through that check (a frontend input or another {@code dockerfilekey} names where it comes
 *       from), {@code cmdline} is set and the built-in frontend builds whatever the directive says.
 * </ul>
 *
 * And what it refuses: {@code force-network-mode=host} (the entitlement is never granted), {@code
 * cgroup-parent} (escapes the daemon's cgroup), {@code ulimit}, {@code add-hosts} and the proxy
 * build-args (outside the cache key: a layer fetched through one user's proxy or host entry would
 * be reused by another user's build; BuildKit's cache is shared, so berth refuses them rather than
 * forcing no-cache), frontend images that are not pinned, remote or named contexts (fetched by the
 * daemon), cache imports, SBOM generators (they run an image), and another caller's session in
 * {@code local-sessionid:*}.
 */
final class FrontendAttrs {
  static final String CACHE_NS = "build-arg:BUILDKIT_CACHE_MOUNT_NS";
  static final String NETWORK = "force-network-mode";
  static final String CMDLINE = "cmdline";
  static final String SYNTAX_ARG = "build-arg:BUILDKIT_SYNTAX";
  private static final String GATEWAY = "gateway.v0";

  /** Keys passed as they are (values need no check). */
  private static final Set<String> PLAIN =
      Set.of(
          "filename",
          "target",
          "no-cache",
          "platform",
          "image-resolve-mode",
          "hostname",
          "dockerfilekey",
          "contextkey",
          "frontend.caps",
          "multi-platform",
          "requestid",
          "contextsubdir",
          "build-arg:BUILDKIT_INLINE_CACHE",
          "build-arg:BUILDKIT_MULTI_PLATFORM",
          "build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR",
          "call",
          "exporter-image-config",
          "cmdline",
          "add-hosts",
          "shm-size",
          "force-network-mode",
          "cgroup-parent",
          "ulimit",
          "attest:provenance");

  private static final Set<String> PROXY_ARGS =
      Set.of("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY");
  private static final long MAX_SHM = 1L << 30;

  private FrontendAttrs() {}

  /**
   * The attributes to forward for {@code caller}, or a refusal.
   *
   * @param sessions whether a session id is the caller's
   * @param frontend the frontend the attributes are for ({@code ""} in buildx's forwarder mode)
   * @param inputs whether the solve gives the frontend inputs (a Dockerfile among them, maybe)
   */
  static Judged judge(
      Map<String, String> in,
      BuildCaller caller,
      Predicate<String> sessions,
      String frontend,
      boolean inputs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : in.entrySet()) {
      String key = e.getKey();
      String value = e.getValue();
      String refusal = refusal(key, value, sessions, caller.pins(), frontend);
      if (refusal != null) {
        return new Judged(Map.of(), refusal);
      }
      if (!key.equals(CACHE_NS) && !key.startsWith("label:dev.berth.")) {
        out.put(key, value);
      }
    }
    out.put(NETWORK, "none");
    boolean checkedDockerfile =
        !inputs
            && in.getOrDefault("dockerfilekey", SessionCall.DOCKERFILE_DIR)
                .equals(SessionCall.DOCKERFILE_DIR);
    if (!frontend.equals(GATEWAY) && !in.containsKey(SYNTAX_ARG) && !checkedDockerfile) {
      out.put(CMDLINE, "dockerfile.v0");
    }
    out.put(CACHE_NS, "berth-" + caller.uid());
    caller.owner().labels().forEach((k, v) -> out.put("label:" + k, v));
    return new Judged(out, null);
  }

  /** Why {@code key=value} is refused, or null. */
  private static @Nullable String refusal(
      String key, String value, Predicate<String> sessions, FrontendPins pins, String frontend) {
    switch (key) {
      case SYNTAX_ARG -> {
        return pins.refusal(value.strip().split(" ", 2)[0], "BUILDKIT_SYNTAX").orElse(null);
      }
      case "source" -> {
        return frontend.equals(GATEWAY)
            ? null
            : "frontend option source is only for a frontend " + "image";
      }
      case "force-network-mode" -> {
        return Set.of("", "sandbox", "none", "default").contains(value)
            ? null
            : "--network "
                + value
                + ": build steps run in their own network namespace "
                + "(default) or with none";
      }
      case "cgroup-parent" -> {
        return value.isEmpty() ? null : "--cgroup-parent is not allowed";
      }
      case "ulimit" -> {
        return value.isEmpty() || value.equals("[]") ? null : "--ulimit is not allowed for builds";
      }
      case "add-hosts" -> {
        return value.isEmpty()
            ? null
            : "--add-host is not allowed for builds: the build cache "
                + "is shared and does not record it, so a host entry of yours could plant a layer in "
                + "another user's build";
      }
      case "shm-size" -> {
        return shmTooLarge(value) ? "--shm-size above 1 GiB is not allowed for builds" : null;
      }
      case "attest:provenance" -> {
        return null;
      }
      default -> {}
    }
    if (PLAIN.contains(key)) {
      return null;
    }
    if (key.startsWith("build-arg:")) {
      String name = key.substring("build-arg:".length());
      if (PROXY_ARGS.contains(name.toUpperCase(Locale.ROOT))) {
        return "--build-arg "
            + name
            + " is not allowed: proxy build-args are left out of the "
            + "shared build cache's key, so what a step fetched through your proxy would be "
            + "reused by other users' builds; set the proxy inside the Dockerfile (ENV) instead";
      }
      return null;
    }
    if (key.startsWith("label:")) {
      return key.startsWith("label:dev.berth.") ? "labels dev.berth.* are set by berth" : null;
    }
    if (key.startsWith("local-sessionid:")) {
      return sessions.test(value) ? null : key + " names a session that is not yours";
    }
    if (key.startsWith("context") || key.startsWith("input:")) {
      return key
          + ": remote and named build contexts are not allowed (the daemon would fetch "
          + "them); build from a local directory";
    }
    return "frontend option " + key + " is not allowed (berth does not know it)";
  }

  private static boolean shmTooLarge(String value) {
    if (value.isEmpty()) {
      return false;
    }
    try {
      return Long.parseLong(value) > MAX_SHM;
    } catch (NumberFormatException e) {
      return true;
    }
  }

  /** The attributes to forward (none when refused), or why not. */
  record Judged(Map<String, String> attrs, @Nullable String refusal) {}
}
