package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.Allowances;
import dev.berth.policy.BuiltImages;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.Effect;
import dev.berth.policy.Grant;
import dev.berth.policy.ImageNamespace;
import dev.berth.policy.Limits;
import dev.berth.policy.Owner;
import dev.berth.policy.Principal;
import dev.berth.policy.QueryParams;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.docker.ImageRefs;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The classic builder ({@code POST /build} without {@code version=2}) for ordinary users (issue 14,
 * item 1).
 *
 * <p>Design note. The daemon runs every {@code RUN} step in a container it creates itself, as root
 * with the default capabilities, from the query parameters of this one request ({@code
 * hostConfigFromOptions}, moby {@code daemon/builder/dockerfile/internals.go}; the parameters are
 * read in {@code daemon/server/router/build/build_routes.go}). berth never sees those containers,
 * so everything that shapes them is judged here:
 *
 * <ul>
 *   <li>Network: {@code networkmode} goes straight to the step's {@code HostConfig.NetworkMode}
 *       ({@code host}, {@code container:<id>} of another user, any named network). The default
 *       (empty, {@code default}, {@code bridge}) would put the step on the shared default bridge,
 *       next to every user's containers with {@code NET_RAW}; it is rewritten to the caller's build
 *       network {@code berth-build-<uid>}, which berth creates on first use ({@link
 *       Effect.EnsureNetwork}) and which belongs to nobody, so no container (not even the caller's)
 *       can join it. {@code none} stays. Other networks, the caller's own included, are refused:
 *       the classic builder's cache key does not include the network, so a step run where the
 *       caller controls DNS (a network alias {@code pypi.org} on her own network) would leave a
 *       layer that another user's identical build reuses.
 *   <li>Cache poisoning: for the same reason the predefined proxy build-args (outside the cache key
 *       by design, Dockerfile reference "Predefined ARGs") and {@code extrahosts} are refused; the
 *       classic builder has no per-user cache to isolate them in, and {@code nocache} would only
 *       protect the caller, not the next user who hits her layers.
 *   <li>{@code cgroupparent} (escapes the daemon's cgroup), {@code isolation}, {@code squash},
 *       {@code securityopt}, {@code ulimits} and BuildKit's {@code session}, {@code buildid},
 *       {@code outputs} are refused; memory, CPU and {@code /dev/shm} are held within the role's
 *       limits (defaults applied as for containers); {@code rm} and {@code forcerm} are forced so
 *       that no ownerless intermediate container stays behind.
 *   <li>{@code remote} makes the daemon fetch a URL or run {@code git clone} as root
 *       (CVE-2019-13139, CVE-2022-39253): refused unless it starts with a prefix of the role's
 *       {@code allow.build_remote}.
 *   <li>Tags are written like {@code docker tag}'s (issue 13): each {@code t} is forwarded as the
 *       builder's private daemon name ({@link BuiltImages#daemonTags}, {@link ImageNamespace}), so
 *       a build never writes a shared name (administrators' tags stay as given); the owner labels
 *       are added to the image's labels, and the built image and its tags are claimed for the
 *       caller once the daemon's answer ends ({@link FollowUp.ClaimBuild}). The daemon's
 *       "Successfully tagged" lines read the plain name again (the answer names of {@code
 *       image_build}).
 * </ul>
 *
 * <p>The context (a tar stream) is relayed as it arrives; the Dockerfile in it is judged at its end
 * ({@link DockerfileRules}; {@link CanonicalRequest.Body.BuildContext}), and the forwarded {@code
 * dockerfile} parameter names the entry berth writes there under a fresh random name, chosen here,
 * so that the daemon reads only what berth wrote.
 */
public final class BuildRules {
  /** Label on a build network berth made; the value is the uid it is for. */
  public static final String NETWORK_LABEL = "dev.berth.build-network";

  private static final Set<String> DEFAULT_NETWORKS = Set.of("", "default", "bridge");

  /** Predefined build-args outside the cache key (Dockerfile reference, "Predefined ARGs"). */
  private static final Set<String> PROXY_ARGS =
      Set.of("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY");

  private static final long CFS_PERIOD = 100_000L;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** The build network of {@code who}. */
  public static String networkName(Principal who) {
    return "berth-build-" + who.uid();
  }

  public Decision evaluate(Principal who, Grant grant, CanonicalRequest request) {
    try {
      return judge(who, grant, request);
    } catch (Refusal r) {
      return Decision.forbidden("image_build", "berth: " + r.getMessage());
    } catch (RequestException e) {
      return new Decision.Deny("image_build", e.status(), "berth: " + e.getMessage());
    }
  }

  /** {@code POST /build/cancel}: only BuildKit builds have ids, and users start none. */
  public static Decision cancel() {
    return Decision.forbidden(
        "image_build_cancel",
        "berth: only BuildKit builds can be "
            + "cancelled by id, and berth does not start those for you; interrupt the client "
            + "(Ctrl-C) to stop your build");
  }

  private Decision judge(Principal who, Grant grant, CanonicalRequest request)
      throws Refusal, RequestException {
    QueryParams q = request.query();
    List<String> notes = new ArrayList<>();
    String version = q.get("version").orElse("");
    if (version.equals("2")) {
      throw new Refusal(
          "BuildKit builds through /build?version=2 are not allowed; build with "
              + "the classic builder (DOCKER_BUILDKIT=0 docker build ...)");
    }
    if (!version.isEmpty() && !version.equals("1")) {
      throw RequestException.bad("unknown builder version " + version);
    }
    for (String key : List.of("session", "buildid", "outputs")) {
      requireEmpty(q, key, key + " belongs to BuildKit builds, which are not allowed here");
    }
    requireEmpty(q, "cgroupparent", "--cgroup-parent is not allowed");
    requireEmpty(q, "securityopt", "--security-opt is not allowed for builds");
    requireEmpty(
        q,
        "extrahosts",
        "--add-host is not allowed for builds: the build cache is "
            + "shared and does not record it, so a host entry of yours could plant a layer in "
            + "another user's build");
    String isolation = q.get("isolation").orElse("").strip();
    if (!isolation.isEmpty() && !isolation.equalsIgnoreCase("default")) {
      throw new Refusal("--isolation is not allowed");
    }
    if (q.bool("squash")) {
      throw new Refusal("--squash is not allowed");
    }
    String ulimits = q.get("ulimits").orElse("").strip();
    if (!(ulimits.isEmpty() || ulimits.equals("null") || ulimits.equals("[]"))) {
      throw new Refusal("--ulimit is not allowed for builds");
    }
    checkRemote(q.get("remote").orElse(""), grant.role().allow());
    checkBuildArgs(q.get("buildargs").orElse(""));
    Owner owner = grant.ownerFor(who);
    q = q.with("labels", labels(q.get("labels").orElse(""), owner));
    q = limits(q, grant.role().limits(), notes);
    List<Effect> effects = new ArrayList<>();
    String network = q.get("networkmode").orElse("").strip();
    if (DEFAULT_NETWORKS.contains(network.toLowerCase(Locale.ROOT))) {
      String mine = networkName(who);
      q = q.with("networkmode", mine);
      effects.add(
          new Effect.EnsureNetwork(mine, Map.of(NETWORK_LABEL, Integer.toString(who.uid()))));
      notes.add("build steps run on your build network " + mine);
    } else if (!network.equalsIgnoreCase("none")) {
      throw new Refusal(
          "--network "
              + network
              + ": build steps run on your build network "
              + "(the default) or with --network none; the host's, another container's and "
              + "named networks are not allowed (the shared build cache does not record the "
              + "network a step ran on)");
    }
    if (!q.bool("rm") || !q.bool("forcerm")) {
      notes.add("rm and forcerm forced: intermediate containers are removed");
    }
    q = q.with("rm", "1").with("forcerm", "1");
    List<String> given = new ArrayList<>();
    for (String t : request.query().getAll("t")) {
      if (ImageNamespace.isReserved(t.strip())) {
        throw new Refusal(
            "-t "
                + t
                + ": names under "
                + ImageNamespace.REGISTRY
                + " are berth's; use the plain"
                + " name");
      }
      given.add(ImageRefs.familiar(t.strip()));
    }
    List<String> tags;
    try {
      tags = BuiltImages.daemonTags(given, who, grant);
    } catch (IllegalArgumentException e) {
      throw new Refusal("-t: " + e.getMessage());
    }
    if (!tags.equals(given)) {
      notes.add("tags are yours: " + String.join(", ", tags));
    }
    q = q.withAll("t", tags);
    CanonicalRequest forward = request.withQuery(q);
    if (q.get("remote").orElse("").isEmpty()) {
      String wanted = q.get("dockerfile").orElse("");
      String entry = dockerfileEntry();
      if (q.bool("pull")) {
        notes.add("--pull: berth pulls the Dockerfile's shared images again before the build");
      }
      forward =
          forward
              .withQuery(q.with("dockerfile", entry).without("pull"))
              .withBody(
                  new CanonicalRequest.Body.Stream(
                      Optional.empty(),
                      Optional.empty(),
                      Optional.of(
                          new CanonicalRequest.Body.BuildContext(
                              wanted.isEmpty() ? "Dockerfile" : wanted,
                              entry,
                              q.get("buildargs").orElse(""),
                              q.bool("pull")))));
      notes.add("the Dockerfile is judged at the context's end and forwarded as " + entry);
    }
    return new Decision.Allow(
        "image_build", forward, notes, new FollowUp.ClaimBuild(tags, owner), effects);
  }

  /** A fresh name for berth's Dockerfile entry: 128 random bits, nothing a context can guess. */
  static String dockerfileEntry() {
    byte[] bits = new byte[16];
    RANDOM.nextBytes(bits);
    return ".berth-dockerfile-" + HexFormat.of().formatHex(bits);
  }

  private static void requireEmpty(QueryParams q, String key, String message) throws Refusal {
    if (!q.get(key).orElse("").strip().isEmpty()) {
      throw new Refusal(message);
    }
  }

  private static void checkRemote(String remote, Allowances allow) throws Refusal {
    if (remote.isEmpty()) {
      return;
    }
    for (String prefix : allow.buildRemote()) {
      if (remote.startsWith(prefix)) {
        return;
      }
    }
    throw new Refusal(
        "remote build contexts ("
            + remote
            + ") are fetched by the daemon as root "
            + "and are not allowed for your role; clone or download it yourself and build the "
            + "directory");
  }

  private static void checkBuildArgs(String json) throws Refusal, RequestException {
    if (json.isBlank()) {
      return;
    }
    JsonNode args = DockerJson.parse(json.getBytes(StandardCharsets.UTF_8));
    if (args.isNull()) {
      return;
    }
    if (!args.isObject()) {
      throw RequestException.bad("buildargs: expected a JSON object");
    }
    for (Iterator<String> it = args.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (PROXY_ARGS.contains(name.toUpperCase(Locale.ROOT))) {
        throw new Refusal(
            "--build-arg "
                + name
                + " is not allowed: proxy build-args are left "
                + "out of the shared build cache's key, so what a step fetched through your proxy "
                + "would be reused by other users' builds; set the proxy inside the Dockerfile "
                + "(ENV) instead");
      }
    }
  }

  /**
   * The image labels with the owner's added; a {@code dev.berth.*} label of anyone else refused.
   */
  private static String labels(String json, Owner owner) throws Refusal, RequestException {
    JsonNode given =
        json.isBlank() ? null : DockerJson.parse(json.getBytes(StandardCharsets.UTF_8));
    ObjectNode labels =
        given instanceof ObjectNode o ? o.deepCopy() : JsonNodeFactory.instance.objectNode();
    if (given != null && !given.isNull() && !given.isObject()) {
      throw RequestException.bad("labels: expected a JSON object");
    }
    OwnerLabels.checkBerthLabels(labels, owner, "--label");
    owner.labels().forEach(labels::put);
    return labels.toString();
  }

  /** Memory, CPU and shm within the role's limits; defaults where the caller asked for nothing. */
  private static QueryParams limits(QueryParams q, Limits limits, List<String> notes)
      throws Refusal, RequestException {
    long memory = number(q, "memory");
    if (limits.memoryMax() > 0 && memory > limits.memoryMax()) {
      throw new Refusal(
          "--memory "
              + memory
              + " exceeds your role's maximum of "
              + limits.memoryMax()
              + " bytes");
    }
    long memoryDefault = limits.memoryDefault() > 0 ? limits.memoryDefault() : limits.memoryMax();
    if (memory <= 0 && memoryDefault > 0) {
      q = q.with("memory", Long.toString(memoryDefault));
      memory = memoryDefault;
      notes.add("build step memory set to " + memoryDefault);
    }
    long shm = number(q, "shmsize");
    if (memory > 0 && shm > memory) {
      throw new Refusal("--shm-size " + shm + " exceeds the build's memory limit of " + memory);
    }
    long quota = number(q, "cpuquota");
    long period = number(q, "cpuperiod");
    long nano = quota > 0 ? quota * 1_000_000_000L / (period > 0 ? period : CFS_PERIOD) : 0;
    if (limits.nanoCpusMax() > 0 && nano > limits.nanoCpusMax()) {
      throw new Refusal(
          "--cpu-quota/--cpu-period ask for "
              + nano / 1e9
              + " CPUs, more than "
              + "your role's maximum of "
              + limits.nanoCpusMax() / 1e9);
    }
    long cpuDefault =
        limits.nanoCpusDefault() > 0 ? limits.nanoCpusDefault() : limits.nanoCpusMax();
    if (nano <= 0 && cpuDefault > 0) {
      q =
          q.with("cpuperiod", Long.toString(CFS_PERIOD))
              .with("cpuquota", Long.toString(cpuDefault * CFS_PERIOD / 1_000_000_000L));
      notes.add("build step CPUs set to " + cpuDefault / 1e9);
    }
    return q;
  }

  private static long number(QueryParams q, String key) throws RequestException {
    String v = q.get(key).orElse("").strip();
    if (v.isEmpty()) {
      return 0;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw RequestException.bad(key + ": expected an integer");
    }
  }
}
