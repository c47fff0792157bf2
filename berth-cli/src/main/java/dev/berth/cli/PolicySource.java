package dev.berth.cli;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.HostPaths;
import dev.berth.policy.Policy;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.policy.yaml.PolicyException;
import dev.berth.policy.yaml.PolicyLoader;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The policy in force, swapped atomically on reload.
 *
 * <p>A reload happens on SIGHUP and when the policy file changes. A file that does not load keeps
 * the old policy in force, and the log says why; requests already being judged finish on the policy
 * they started with.
 */
final class PolicySource implements Supplier<PolicyEngine>, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PolicySource.class);

  private final Path file;
  private final UserDirectory users;
  private final AtomicReference<PolicyEngine> current = new AtomicReference<>();
  private @Nullable WatchService watcher;

  private PolicySource(Path file, UserDirectory users) {
    this.file = file;
    this.users = users;
  }

  /**
   * Loads the policy (the embedded default when {@code file} is null).
   *
   * @throws PolicyException when the file is invalid: berth does not start on a bad policy
   */
  static PolicySource open(Path file, UserDirectory users) throws PolicyException, IOException {
    PolicySource source = new PolicySource(file, users);
    source.current.set(new PolicyEngine(source.load(), HostPaths.local()));
    return source;
  }

  static Policy load(Path file, UserDirectory users) throws PolicyException, IOException {
    if (file == null) {
      return PolicyDefaults.policy();
    }
    return PolicyLoader.load(file, users::groupId);
  }

  private Policy load() throws PolicyException, IOException {
    return load(file, users);
  }

  @Override
  public PolicyEngine get() {
    return current.get();
  }

  /** Re-reads the file; keeps the old policy if the new one does not load. */
  void reload() {
    if (file == null) {
      LOG.atInfo().log("reload requested; the embedded default policy is in force");
      return;
    }
    try {
      Policy p = load();
      current.set(new PolicyEngine(p, HostPaths.local()));
      LOG.atInfo()
          .addKeyValue("policy", file)
          .addKeyValue("digest", p.digest())
          .log("policy reloaded");
    } catch (PolicyException | IOException | RuntimeException e) {
      LOG.atError()
          .addKeyValue("policy", file)
          .addKeyValue("digest", current.get().policy().digest())
          .log("policy not reloaded; the previous policy stays in force:\n{}", e.getMessage());
    }
  }

  /** Reloads on SIGHUP and, for a file, whenever it changes. */
  void watch() throws IOException {
    Signal.handle(new Signal("HUP"), sig -> reload());
    if (file == null) {
      return;
    }
    Path dir = requireNonNull(file.toAbsolutePath().getParent());
    WatchService w = FileSystems.getDefault().newWatchService();
    watcher = w;
    dir.register(
        w,
        StandardWatchEventKinds.ENTRY_CREATE,
        StandardWatchEventKinds.ENTRY_MODIFY,
        StandardWatchEventKinds.ENTRY_DELETE);
    Thread t = new Thread(this::watchLoop, "berth-policy-watch");
    t.setDaemon(true);
    t.start();
  }

  private void watchLoop() {
    Path name = file.getFileName();
    try {
      while (true) {
        WatchKey key = requireNonNull(watcher).take();
        boolean ours = key.pollEvents().stream().anyMatch(e -> name.equals(e.context()));
        key.reset();
        if (ours) {
          Thread.sleep(200); // let an editor finish writing before reading the file
          reload();
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws IOException {
    if (watcher != null) {
      watcher.close();
    }
  }
}
