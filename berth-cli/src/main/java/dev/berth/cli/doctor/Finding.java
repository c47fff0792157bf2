package dev.berth.cli.doctor;

import static java.util.Objects.requireNonNull;

/**
 * One result of {@code berth doctor}.
 *
 * @param check short name of what was checked ({@code daemon socket})
 * @param severity whether berth's guarantees hold
 * @param detail what was found, with the facts that decided it
 * @param remedy what to do about it; empty when nothing is to be done
 */
public record Finding(String check, Severity severity, String detail, String remedy) {
  public Finding {
    requireNonNull(check, "check");
    requireNonNull(severity, "severity");
    requireNonNull(detail, "detail");
    requireNonNull(remedy, "remedy");
  }

  /** How much a finding matters. */
  public enum Severity {
    /** As berth needs it. */
    OK,
    /** Not a hole today, but a backstop is missing or something could not be checked. */
    WARN,
    /** berth's guarantees do not hold on this host until it is fixed. */
    FAIL
  }

  static Finding ok(String check, String detail) {
    return new Finding(check, Severity.OK, detail, "");
  }

  static Finding warn(String check, String detail, String remedy) {
    return new Finding(check, Severity.WARN, detail, remedy);
  }

  static Finding fail(String check, String detail, String remedy) {
    return new Finding(check, Severity.FAIL, detail, remedy);
  }
}
