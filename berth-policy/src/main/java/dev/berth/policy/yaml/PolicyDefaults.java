package dev.berth.policy.yaml;

import dev.berth.policy.Policy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The embedded default policy: safe on a shared host. Root is the administrator; everyone else is
 * an ordinary user (see {@code default-policy.yaml} next to this class). It is written in the
 * policy file format, so it is loaded here, on the loader's side (the model does not read YAML).
 */
public final class PolicyDefaults {
  private static final String RESOURCE = "default-policy.yaml";

  private PolicyDefaults() {}

  /** The text of the embedded default policy. */
  public static String text() {
    try (InputStream in = PolicyDefaults.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the embedded default policy is missing from the build");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the embedded default policy", e);
    }
  }

  /** The embedded default policy, loaded. */
  public static Policy policy() {
    try {
      return PolicyLoader.load(text(), "embedded default policy", name -> Optional.empty());
    } catch (PolicyException e) {
      throw new IllegalStateException(
          "the embedded default policy is invalid: " + e.getMessage(), e);
    }
  }
}
