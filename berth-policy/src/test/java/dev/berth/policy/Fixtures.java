package dev.berth.policy;

import dev.berth.policy.yaml.PolicyDefaults;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Shared test data: two users and a fake host file system. */
final class Fixtures {
  private Fixtures() {}

  static final Principal ALICE =
      new Principal(1001, 1001, 4242, "alice", "/home/alice", List.of(1001, 2000), -1);
  static final Principal ROOT = new Principal(0, 0, 1, "root", "/root", List.of(0), -1);

  /** Real paths of the fake host: symlinks resolved as the map says. */
  static final HostPaths HOST =
      new HostPaths() {
        private final Map<String, Resolved> files =
            Map.of(
                "/home/alice", dir("/home/alice"),
                "/home/alice/data", dir("/home/alice/data"),
                "/home/alice/link-to-root", dir("/"),
                "/home/alice/docker.sock", new Resolved(Path.of("/run/docker.sock"), Kind.OTHER),
                "/home/bob", dir("/home/bob"),
                "/", dir("/"),
                "/proc", dir("/proc"),
                "/var/run/docker.sock", new Resolved(Path.of("/run/docker.sock"), Kind.OTHER));

        @Override
        public Resolved resolve(Path path) throws IOException {
          Resolved r = files.get(path.normalize().toString());
          if (r == null) {
            throw new NoSuchFileException(path.toString());
          }
          return r;
        }
      };

  private static HostPaths.Resolved dir(String p) {
    return new HostPaths.Resolved(Path.of(p), HostPaths.Kind.DIRECTORY);
  }

  static final Principal BOB =
      new Principal(1002, 1002, 4343, "bob", "/home/bob", List.of(1002, 2000), -1);

  static final PolicyEngine ENGINE =
      new PolicyEngine(PolicyDefaults.policy(), HOST, HostRoutes.NONE);

  /** Full ids of the objects in {@link #objects()}. */
  static final String ALICE_CONTAINER = "abc" + "1".repeat(61);

  static final String BOB_CONTAINER = "b0b" + "2".repeat(61);
  static final String SITE_CONTAINER = "5173" + "3".repeat(60);
  static final String ALICE_EXEC = "e1" + "1".repeat(62);
  static final String BOB_EXEC = "e2" + "2".repeat(62);
  static final String ALICE_NETWORK = "a1" + "4".repeat(62);
  static final String BOB_NETWORK = "b1" + "5".repeat(62);
  static final String BASE_IMAGE = "sha256:" + "6".repeat(64);
  static final String ALICE_IMAGE = "sha256:" + "7".repeat(64);

  /**
   * A host with objects of alice (1001), bob (1002) and the site (created without berth): each a
   * container, an exec, a volume, a network; images busybox (the site's) and alice/tool.
   */
  static FakeObjects objects() {
    return new FakeObjects()
        .container(ALICE_CONTAINER, "abc", FakeObjects.owner(1001))
        .container(BOB_CONTAINER, "bobweb", FakeObjects.owner(1002))
        .container(SITE_CONTAINER, "site", Optional.empty())
        .exec(ALICE_EXEC, FakeObjects.owner(1001))
        .exec(BOB_EXEC, FakeObjects.owner(1002))
        .volume("a", FakeObjects.owner(1001))
        .volume("bobdata", FakeObjects.owner(1002))
        .volume("sitedata", Optional.empty())
        .network(ALICE_NETWORK, "alicenet", FakeObjects.owner(1001))
        .network(BOB_NETWORK, "bobnet", FakeObjects.owner(1002))
        .image(BASE_IMAGE, Optional.empty(), Map.of("busybox:latest", Optional.empty()))
        .image(
            ALICE_IMAGE, FakeObjects.owner(1001), Map.of("alice/tool:1", FakeObjects.owner(1001)));
  }

  static Decision decide(Principal who, String method, String target, String body) {
    return decide(ENGINE, objects(), who, method, target, body);
  }

  /** As plugin mode decides: names reach the daemon as sent (no private names). */
  static Decision decideAsSent(
      PolicyEngine engine,
      ObjectDirectory objects,
      Principal who,
      String method,
      String target,
      String body) {
    try {
      return engine.evaluateAsSent(
          who,
          CanonicalRequest.parse(method, target),
          body == null ? null : body.getBytes(StandardCharsets.UTF_8),
          objects);
    } catch (RequestException e) {
      throw new AssertionError(e);
    }
  }

  static Decision decide(
      PolicyEngine engine,
      ObjectDirectory objects,
      Principal who,
      String method,
      String target,
      String body) {
    try {
      return engine.evaluate(
          who,
          CanonicalRequest.parse(method, target),
          body == null ? null : body.getBytes(StandardCharsets.UTF_8),
          objects);
    } catch (RequestException e) {
      throw new AssertionError(e);
    }
  }

  static CanonicalRequest parse(String method, String target) {
    try {
      return CanonicalRequest.parse(method, target);
    } catch (RequestException e) {
      throw new AssertionError(e);
    }
  }

  static Decision create(Principal who, String body) {
    return decide(who, "POST", "/v1.51/containers/create", body);
  }
}
