package dev.berth.enforce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.Effect;
import dev.berth.policy.HostPaths;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.Owner;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.yaml.PolicyDefaults;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A push of a user's image: its hold and temporary tag are undone exactly once, after the answer or
 * when an effect fails before anything was forwarded.
 */
class PushReleaseTest {
  private static final Principal ALICE =
      new Principal(1001, 1001, 77, "alice", "/home/alice", List.of(1001), 1001, "");
  private static final String TAG = "127.0.0.1:5000/alice/app:1";
  private static final String IMAGE = "sha256:" + "a".repeat(64);

  @TempDir Path dir;

  private AuditLog audit;
  private OwnerStore owners;
  private Enforcer core;
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private boolean tagFails;

  private final ObjectDirectory objects =
      new ObjectDirectory() {
        @Override
        public boolean holdTag(String tag, String imageId, Owner owner) {
          calls.add("hold " + tag);
          return true;
        }

        @Override
        public void tagImage(String imageId, String tag) throws LookupException {
          if (tagFails) {
            throw new LookupException("the daemon refused to tag");
          }
          calls.add("tag " + tag);
        }

        @Override
        public void releaseTag(String tag, String imageId) {
          calls.add("release " + tag);
        }
      };

  @BeforeEach
  void start() throws IOException {
    audit = AuditLog.open(dir.resolve("audit.jsonl"));
    owners = OwnerStore.open(dir.resolve("state"));
    PolicyEngine engine = new PolicyEngine(PolicyDefaults.policy(), HostPaths.local());
    core =
        new Enforcer(() -> engine, audit, objects, owners, Runnable::run, Enforcer.Observer.NONE);
  }

  @AfterEach
  void stop() throws IOException {
    owners.close();
    audit.close();
  }

  private static Decision.Allow push() throws Exception {
    return new Decision.Allow(
        "test",
        CanonicalRequest.parse("POST", "/v1.51/images/127.0.0.1:5000/alice/app/push?tag=1"),
        List.of(),
        new Decision.FollowUp.ReleaseTag(TAG, IMAGE),
        List.of(
            new Effect.HoldTag(TAG, IMAGE, new Owner(1001, -1)), new Effect.TagImage(IMAGE, TAG)));
  }

  @Test
  void push_answerEnded_releasedOnceWhateverTheStatus() throws Exception {
    Enforcement e = core.begin(Caller.of(ALICE));
    e.parse("POST", "/v1.51/images/127.0.0.1:5000/alice/app/push?tag=1");
    Decision.Allow allow = push();
    assertThat(e.commit(allow).get(10, TimeUnit.SECONDS)).isEqualTo(allow);
    assertThat(e.releaseDue()).isTrue();
    e.claim(allow.followUp(), 500, "");
    e.release(); // the connection closing afterwards
    assertThat(calls).containsExactly("hold " + TAG, "tag " + TAG, "release " + TAG);
    assertThat(e.releaseDue()).isFalse();
  }

  @Test
  void push_effectFailed_releasedBeforeTheRefusal() throws Exception {
    tagFails = true;
    Enforcement e = core.begin(Caller.of(ALICE));
    e.parse("POST", "/v1.51/images/127.0.0.1:5000/alice/app/push?tag=1");
    Decision out = e.commit(push()).get(10, TimeUnit.SECONDS);
    assertThat(out).isInstanceOf(Decision.Deny.class);
    assertThat(calls).containsExactly("hold " + TAG, "release " + TAG);
    e.release();
    assertThat(calls).hasSize(2);
  }
}
