package dev.berth.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Shared test data: two users and a fake host file system. */
final class Fixtures {
  private Fixtures() {}

  static final Principal ALICE =
      new Principal(1001, 1001, 4242, "alice", "/home/alice", List.of(1001, 2000), -1);
  static final Principal ROOT = new Principal(0, 0, 1, "root", "/root", List.of(0), -1);

  /** Real paths of the fake host: symlinks resolved as the map says. */
  static final HostPaths HOST = new HostPaths() {
    private final Map<String, Resolved> files = Map.of(
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

  static final PolicyEngine ENGINE = new PolicyEngine(Policy.defaults(), HOST);

  static Decision decide(Principal who, String method, String target, String body) {
    try {
      return ENGINE.evaluate(who, CanonicalRequest.parse(method, target),
          body == null ? null : body.getBytes(StandardCharsets.UTF_8));
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
