package dev.berth.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.DockerObject;
import dev.berth.policy.HostPaths;
import dev.berth.policy.ImageNamespace;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.Owner;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.yaml.PolicyDefaults;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docker push} of an image a user made needs berth to tag it around the request, which a
 * plugin cannot do: refused in plugin mode, and nothing is held or tagged.
 */
class PluginPushTest {
  private static final String ALICE_APP = "sha256:" + "a".repeat(64);
  private static final String NAME = "127.0.0.1:5000/alice/app:1";

  private static final UserDirectory USERS =
      new UserDirectory() {
        @Override
        public Optional<Account> byUid(int uid) {
          return uid == 1001 ? byName("alice") : Optional.empty();
        }

        @Override
        public Optional<Account> byName(String name) {
          return name.equals("alice")
              ? Optional.of(new Account("alice", 1001, 1001, "/home/alice", List.of(1001)))
              : Optional.empty();
        }

        @Override
        public Optional<Integer> groupId(String group) {
          return Optional.empty();
        }
      };

  /** alice's image, tagged {@link #NAME} in her namespace; every write fails the test. */
  private static final ObjectDirectory OBJECTS =
      new ObjectDirectory() {
        private final String daemonName = ImageNamespace.privateName(NAME, 1001).orElseThrow();

        @Override
        public Optional<DockerObject> image(String ref) {
          return ref.equals(daemonName) || ref.equals(ALICE_APP)
              ? Optional.of(
                  new DockerObject(
                      ALICE_APP,
                      "",
                      Optional.of(new Owner(1001, -1)),
                      Map.of(daemonName, Optional.empty())))
              : Optional.empty();
        }
      };

  @TempDir Path dir;

  @Test
  void push_ownImage_refusedInPluginMode() throws Exception {
    try (AuditLog audit = AuditLog.open(dir.resolve("audit.jsonl"));
        OwnerStore owners = OwnerStore.open(dir.resolve("state"))) {
      PolicyEngine engine = new PolicyEngine(PolicyDefaults.policy(), HostPaths.local());
      PluginJudge judge =
          new PluginJudge(
              () -> engine, USERS, OBJECTS, owners, audit, Revocations.none(), Optional.of("root"));
      AuthzAnswer a =
          judge.request(
              new AuthzMessage(
                  "alice",
                  "TLS",
                  "POST",
                  "/v1.51/images/127.0.0.1:5000/alice/app/push?tag=1",
                  null,
                  Map.of(),
                  List.of(),
                  0,
                  null,
                  null));
      assertThat(a.allow()).isFalse();
      assertThat(a.msg())
          .contains("docker push of an image you made is not available in plugin mode");
      assertThat(owners.pushHold(NAME)).isEmpty();
    }
  }
}
