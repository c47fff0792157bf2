package dev.berth.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One berth for the whole suite: started before the first test class that needs it, stopped with
 * SIGTERM when the test plan ends (the root store closes it), and checked then that it removed its
 * socket. {@link LifecycleIT} tests that contract on instances of its own as well.
 */
final class BerthExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(BerthExtension.class);

  private static volatile BerthServer server;

  @Override
  public void beforeAll(ExtensionContext context) {
    if (ItEnvironment.problem() != null) {
      if (ItEnvironment.isCi()) {
        ItEnvironment.require(); // fails the class on CI
      }
      return; // each test is skipped in beforeEach, so that the report counts them as skipped
    }
    Shared shared =
        context
            .getRoot()
            .getStore(NS)
            .getOrComputeIfAbsent("berth", k -> new Shared(), Shared.class);
    server = shared.server;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    ItEnvironment.require();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    BerthServer s = server;
    if (s == null) {
      return; // skipped: the environment was not ready
    }
    DockerCli.removeAllOfThisRun();
    if (!s.isAlive()) {
      fail("berth died during " + context.getDisplayName() + "\n" + s.logs());
    }
  }

  /** The suite's berth; valid in tests of classes that registered this extension. */
  BerthServer server() {
    BerthServer s = server;
    if (s == null) {
      throw new IllegalStateException("berth was not started");
    }
    return s;
  }

  /** The shared instance; closed by JUnit when the root context ends. */
  private static final class Shared implements AutoCloseable {
    final BerthServer server = BerthServer.start(ItEnvironment.upstreamUrl());

    @Override
    public void close() {
      DockerCli.removeAllOfThisRun();
      try {
        server.stop();
        if (Files.exists(server.socket(), LinkOption.NOFOLLOW_LINKS)) {
          throw new AssertionError(
              "berth left its socket "
                  + server.socket()
                  + " behind after SIGTERM\n"
                  + server.logs());
        }
      } finally {
        server.close();
      }
    }
  }
}
