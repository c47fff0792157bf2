package dev.berth.it;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real registry on loopback ({@link Registry}) for one test class: started before its first test,
 * stopped (its storage removed) after its last. A class registers its own in a static field:
 * {@code @RegisterExtension static final RegistryExtension REGISTRY = new RegistryExtension();}.
 * Where the environment is not ready it starts none (on CI the suite's berth fails the class
 * first): each test is then skipped by {@link BerthExtension}, so that the report counts them.
 */
final class RegistryExtension implements BeforeAllCallback, AfterAllCallback {
  private volatile Registry registry;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    if (ItEnvironment.problem() != null && !ItEnvironment.isCi()) {
      return;
    }
    registry = Registry.start();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    Registry r = registry;
    registry = null;
    if (r != null) {
      r.close();
    }
  }

  /** The class's registry; valid in its tests. */
  Registry registry() {
    Registry r = registry;
    if (r == null) {
      throw new IllegalStateException("the registry was not started");
    }
    return r;
  }
}
