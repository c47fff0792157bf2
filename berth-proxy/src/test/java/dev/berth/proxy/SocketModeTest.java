package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.HostPaths;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.yaml.PolicyDefaults;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** issue 18: clients connecting during a (re)start never find the socket with another mode. */
class SocketModeTest {

  @Test
  void socket_hasItsFinalModeFromTheMomentItExists() throws Exception {
    Path dir = Files.createTempDirectory("berth-socket-mode");
    Path socket = dir.resolve("b.sock");
    Set<PosixFilePermission> mode = PosixFilePermissions.fromString("rw-rw----");
    PolicyEngine engine = new PolicyEngine(PolicyDefaults.policy(), HostPaths.local());
    for (int round = 0; round < 5; round++) {
      AtomicReference<Set<PosixFilePermission>> firstSeen = new AtomicReference<>();
      Thread watcher =
          Thread.ofPlatform()
              .start(
                  () -> {
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (firstSeen.get() == null && System.nanoTime() < deadline) {
                      try {
                        firstSeen.set(Files.getPosixFilePermissions(socket));
                      } catch (NoSuchFileException e) {
                        Thread.onSpinWait();
                      } catch (Exception e) {
                        throw new AssertionError(e);
                      }
                    }
                  });
      try (AuditLog audit = AuditLog.open(dir.resolve("audit-" + round + ".jsonl"));
          OwnerStore owners = OwnerStore.open(dir.resolve("state-" + round));
          ProxyServer proxy =
              ProxyServer.start(
                  new ProxyConfig(socket, dir.resolve("d.sock"), mode, null, 1),
                  () -> engine,
                  TestCallers.everyUidIsAlice(),
                  audit,
                  owners)) {
        watcher.join();
        assertThat(firstSeen.get()).isEqualTo(mode);
      }
      assertThat(socket).doesNotExist();
    }
  }
}
