package dev.berth.it;

import dev.berth.it.ItEnvironment.UnixUser;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Base of the tests that drive the suite's shared berth with the docker CLI as alice and bob.
 * Containers named with {@link #container} are removed (as root, on the daemon) after each test.
 */
abstract class ItBase {
  @RegisterExtension static final BerthExtension BERTH = new BerthExtension();

  protected UnixUser alice;
  protected UnixUser bob;
  protected DockerCli docker;
  protected String image;
  private final List<String> created = new ArrayList<>();

  @BeforeEach
  void setUpBase() {
    alice = ItEnvironment.user("alice");
    bob = ItEnvironment.user("bob");
    docker = new DockerCli(BERTH.server().socket());
    image = ItEnvironment.image();
  }

  @AfterEach
  void removeContainers() {
    DockerCli.removeContainers(created);
    created.clear();
  }

  /** A fresh container name that is cleaned up after the test. */
  protected String container(String hint) {
    String name = ItEnvironment.uniqueName(hint);
    created.add(name);
    return name;
  }

  protected BerthServer berth() {
    return BERTH.server();
  }

  /**
   * Whether a container of this name exists on the daemon (asked as root, upstream), under the name
   * as given or in any user's namespace ({@code u1001_name}, issue 13).
   */
  protected static boolean existsUpstream(String name) {
    Proc.Result r = DockerCli.upstream("ps", "-aq", "--filter", "name=^/(u[0-9]+_)?" + name + "$");
    return !r.stdout().isBlank();
  }
}
