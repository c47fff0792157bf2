package dev.berth.fuzz;

import dev.berth.policy.DockerObject;
import dev.berth.policy.HostPaths;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.Owner;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.testing.EmptyObjects;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The world a fuzz target runs in: alice (uid 1001) on the embedded default policy, a host whose
 * file system has alice's home (with a symbolic link to {@code /} in it) and the docker socket, and
 * a daemon that knows one container, volume and network of alice's and of bob's.
 */
final class FuzzHost {
  static final Principal ALICE =
      new Principal(1001, 1001, 4242, "alice", "/home/alice", List.of(1001, 2000), -1);
  static final Owner ALICE_OWNER = new Owner(1001, 1001);
  static final Owner BOB_OWNER = new Owner(1002, 1002);

  /** Real paths: alice's home and below are directories; {@code evil} in it leads to {@code /}. */
  static final HostPaths PATHS =
      path -> {
        Path p = path.normalize();
        if (p.startsWith("/home/alice/evil")) {
          return new HostPaths.Resolved(
              Path.of("/").resolve(Path.of("/home/alice/evil").relativize(p)),
              HostPaths.Kind.DIRECTORY);
        }
        if (p.startsWith("/home/alice")
            || p.startsWith("/home/bob")
            || p.equals(Path.of("/"))
            || p.startsWith("/etc")
            || p.startsWith("/proc")) {
          return new HostPaths.Resolved(p, HostPaths.Kind.DIRECTORY);
        }
        if (p.equals(Path.of("/var/run/docker.sock")) || p.equals(Path.of("/run/docker.sock"))) {
          return new HostPaths.Resolved(Path.of("/run/docker.sock"), HostPaths.Kind.OTHER);
        }
        throw new NoSuchFileException(p.toString());
      };

  static final PolicyEngine ENGINE = new PolicyEngine(PolicyDefaults.policy(), PATHS);

  /** A daemon with a few objects of alice's and bob's; everything else does not exist. */
  static final EmptyObjects OBJECTS =
      new EmptyObjects() {
        private Optional<DockerObject> pick(String ref, String mine, String bobs) {
          if (ref.equals(mine) || ref.equals("a".repeat(64))) {
            return Optional.of(DockerObject.of("a".repeat(64), mine, Optional.of(ALICE_OWNER)));
          }
          if (ref.equals(bobs) || ref.equals("b".repeat(64))) {
            return Optional.of(DockerObject.of("b".repeat(64), bobs, Optional.of(BOB_OWNER)));
          }
          return Optional.empty();
        }

        @Override
        public Optional<DockerObject> container(String ref) {
          return pick(ref, "web", "bobweb");
        }

        @Override
        public Optional<DockerObject> volume(String name) {
          return pick(name, "data", "bobdata");
        }

        @Override
        public Optional<DockerObject> network(String ref) {
          return pick(ref, "net", "bobnet");
        }

        @Override
        public DockerObject ensureVolume(String name, Owner owner) {
          return volume(name).orElse(DockerObject.of("c".repeat(64), name, Optional.of(owner)));
        }
      };

  /**
   * {@link #OBJECTS} plus the volumes and networks that berth's effects create ({@code -v name:}
   * and the caller's default network), as a real daemon would hold them after the decision.
   */
  static ObjectDirectory daemon() {
    Map<String, DockerObject> made = new HashMap<>();
    return new EmptyObjects() {
      @Override
      public Optional<DockerObject> container(String ref) {
        return OBJECTS.container(ref);
      }

      @Override
      public Optional<DockerObject> volume(String name) {
        Optional<DockerObject> v = OBJECTS.volume(name);
        return v.isPresent() ? v : Optional.ofNullable(made.get("volume/" + name));
      }

      @Override
      public Optional<DockerObject> network(String ref) {
        Optional<DockerObject> n = OBJECTS.network(ref);
        return n.isPresent() ? n : Optional.ofNullable(made.get("network/" + ref));
      }

      @Override
      public DockerObject ensureVolume(String name, Owner owner) {
        Optional<DockerObject> v = volume(name);
        return v.isPresent()
            ? v.get()
            : made.computeIfAbsent(
                "volume/" + name, k -> DockerObject.of(name, name, Optional.of(owner)));
      }

      @Override
      public DockerObject ensureNetwork(String name, Map<String, String> labels)
          throws LookupException {
        Optional<DockerObject> n = network(name);
        return n.isPresent()
            ? n.get()
            : made.computeIfAbsent(
                "network/" + name,
                k -> DockerObject.of("d".repeat(64), name, Owner.fromLabels(labels)));
      }
    };
  }

  private FuzzHost() {}
}
