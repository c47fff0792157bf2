package dev.berth.enforce;

import static java.util.Objects.requireNonNull;

import dev.berth.audit.AuditLog;
import dev.berth.daemon.OwnerStore;
import dev.berth.policy.Decision;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.Role;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The enforcement core: the only code between a judged request and an action on the daemon.
 *
 * <p>Design note. A front end (the proxy's pipeline, the AuthZ plugin, the BuildKit mediator) opens
 * one {@link Enforcement} per request with {@link #begin}; it reads the policy supplier once, so a
 * reload never mixes two policies in one request. The enforcement then decides (engine, or one of
 * the {@link Refusals} the front end found), records the decision, and, for an allow, waits until
 * the record is durable before the front end may let anything act: {@link Enforcement#commit}
 * completes only then, performs the decision's {@link dev.berth.policy.Effect}s in between, and
 * turns a record that cannot be written into a 503. Objects the request created (execs, images) are
 * claimed for the caller after that, and the daemon's result follows the decision in the trail.
 *
 * <p>Threads: an enforcement belongs to one request and is used by one thread at a time. {@link
 * Enforcement#decide} and {@link Enforcement#claim} may ask the daemon and block; front ends on an
 * event loop call them on {@code blocking} when {@link Enforcement#needsLookups} says so.
 * Durability completes on the audit writer's thread; effects run on {@code blocking}.
 */
public final class Enforcer {
  /** Told about every recorded decision (metrics). */
  public interface Observer {
    Observer NONE = (action, decision, decisionNanos) -> {};

    void decided(String action, Decision decision, long decisionNanos);
  }

  final Supplier<PolicyEngine> engines;
  final AuditLog audit;
  final ObjectDirectory objects;
  final OwnerStore owners;
  final Executor blocking;
  final Observer observer;

  /**
   * @param engines the policy in force (read once per request)
   * @param audit the audit trail
   * @param objects where existing objects are looked up, and effects performed
   * @param owners where claims of execs and images are kept
   * @param blocking where effects run (they ask the daemon)
   * @param observer told about every recorded decision
   */
  public Enforcer(
      Supplier<PolicyEngine> engines,
      AuditLog audit,
      ObjectDirectory objects,
      OwnerStore owners,
      Executor blocking,
      Observer observer) {
    this.engines = requireNonNull(engines, "engines");
    this.audit = requireNonNull(audit, "audit");
    this.objects = requireNonNull(objects, "objects");
    this.owners = requireNonNull(owners, "owners");
    this.blocking = requireNonNull(blocking, "blocking");
    this.observer = requireNonNull(observer, "observer");
  }

  /** Opens the enforcement of one request by {@code caller}, with the policy in force now. */
  public Enforcement begin(Caller caller) {
    return new Enforcement(this, requireNonNull(caller, "caller"), engines.get());
  }

  /**
   * The role the policy in force now gives {@code who}, if any: a front end reads it once per
   * connection for the caller's {@link dev.berth.policy.Bounds}, so a reload applies to the
   * connections opened after it.
   */
  public Optional<Role> roleOf(Principal who) {
    return engines.get().policy().roleOf(who);
  }

  /** Where the audit trail is written (for messages). */
  public String auditFile() {
    return audit.file().toString();
  }
}
