package dev.berth.policy.docker;

import static java.util.Objects.requireNonNull;

/**
 * One query parameter of an action, as berth treats it.
 *
 * <p>A parameter not listed for an action is refused (corpus PATH-08: dockerd honours parameters a
 * filter does not model, such as {@code start?checkpoint-dir=}). A listed parameter applies from
 * API version {@code since} up to and including {@code until} (empty: no bound); outside that range
 * it is treated as unlisted.
 *
 * @param name the parameter, exactly as the daemon reads it (names are case-sensitive)
 * @param since the first API version that has it, or "" for every version berth judges
 * @param until the last API version that has it, or "" for every later version
 * @param treatment what berth does with it
 * @param reference where the Engine API (or moby's source) defines it
 * @param note for a dropped parameter why dropping it is safe, for a refused one the reason (both
 *     required); for a judged one, optionally, which rule judges it
 */
public record QueryParam(
    String name, String since, String until, Treatment treatment, String reference, String note) {
  public QueryParam {
    requireNonNull(name, "name");
    requireNonNull(since, "since");
    requireNonNull(until, "until");
    requireNonNull(treatment, "treatment");
    requireNonNull(reference, "reference");
    requireNonNull(note, "note");
    if (treatment != Treatment.JUDGED && note.isBlank()) {
      throw new IllegalArgumentException(name + ": a " + treatment + " parameter needs a note");
    }
  }

  /** A parameter without a note (a judged one). */
  public QueryParam(
      String name, String since, String until, Treatment treatment, String reference) {
    this(name, since, until, treatment, reference, "");
  }

  /** What berth does with a parameter a request carries. */
  public enum Treatment {
    /** Forwarded as sent; the rules judge it where it matters. */
    JUDGED,
    /** Removed before forwarding: the daemon of that version ignores it anyway. */
    DROPPED,
    /** Refused: an ordinary user may not send it. */
    REFUSED
  }

  /**
   * Whether this entry applies to a request made with API version {@code apiVersion} ("" when the
   * request names none: the daemon then uses its newest).
   */
  public boolean appliesTo(String apiVersion) {
    if (apiVersion.isEmpty()) {
      return until.isEmpty();
    }
    return (since.isEmpty() || ApiVersions.compare(apiVersion, since) >= 0)
        && (until.isEmpty() || ApiVersions.compare(apiVersion, until) <= 0);
  }
}
