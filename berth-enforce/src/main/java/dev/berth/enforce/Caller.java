package dev.berth.enforce;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.Principal;
import java.util.Optional;

/**
 * Who sent a request, whichever way they came: a unix-socket peer (uid, pid, login uid from the
 * kernel), a TLS client (the certificate subject that named them), or a user the daemon's AuthZ
 * plugin call names (with the certificate subject the daemon verified). A caller berth could not
 * identify still has a name to record (what they claimed, or "") and the reason.
 *
 * @param principal the identified caller, or empty
 * @param claimedName the name to record when {@code principal} is empty
 * @param identityError why the caller could not be identified ("" when identified)
 */
public record Caller(Optional<Principal> principal, String claimedName, String identityError) {
  public Caller {
    requireNonNull(principal, "principal");
    requireNonNull(claimedName, "claimedName");
    requireNonNull(identityError, "identityError");
  }

  /** An identified caller. */
  public static Caller of(Principal principal) {
    return new Caller(Optional.of(principal), principal.name(), "");
  }

  /** A caller berth could not identify; every request of theirs is refused with the reason. */
  public static Caller unidentified(String claimedName, String reason) {
    return new Caller(Optional.empty(), claimedName, reason);
  }
}
