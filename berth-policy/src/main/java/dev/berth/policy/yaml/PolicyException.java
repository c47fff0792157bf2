package dev.berth.policy.yaml;

import java.util.List;

/** A policy file that cannot be used; {@link #errors()} lists every problem, each located. */
public final class PolicyException extends Exception {
  private final List<String> errors;

  PolicyException(List<String> errors) {
    super(String.join("\n", errors));
    this.errors = List.copyOf(errors);
  }

  public List<String> errors() {
    return errors;
  }
}
