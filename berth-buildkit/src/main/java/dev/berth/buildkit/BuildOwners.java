package dev.berth.buildkit;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who owns each live BuildKit session and each build ref, for the whole berth process.
 *
 * <p>Design note. dockerd keeps sessions in a map keyed by the id the client chose, with no check
 * for duplicates: a second {@code /session} with the same id silently replaces the first (buildkit
 * {@code session/manager.go}, {@code handleConn}), and a Solve names its session by id. A build ref
 * (the Solve's {@code Ref}) is also the {@code buildid} through which {@code LLBBridge} calls drive
 * the job, and the key of its status and history. So berth binds both to the caller who first used
 * them: a session id is claimed when its {@code /session} connection is opened and released when
 * that connection closes (never reused across callers); a ref is claimed by the Solve that starts
 * it and stays the caller's for the life of berth.
 */
public final class BuildOwners {
  private final Map<String, Integer> sessions = new ConcurrentHashMap<>();
  private final Map<String, Integer> refs = new ConcurrentHashMap<>();

  /** Claims a session id for {@code uid}; false when it is live for anyone (the caller too). */
  public boolean openSession(String id, int uid) {
    return !id.isEmpty() && sessions.putIfAbsent(id, uid) == null;
  }

  /** Forgets a session id when the connection that claimed it closes. */
  public void closeSession(String id, int uid) {
    sessions.remove(id, uid);
  }

  /** The owner of a live session. */
  public Optional<Integer> sessionOwner(String id) {
    return Optional.ofNullable(sessions.get(id));
  }

  /**
   * Claims a build ref for {@code uid}: true when it was free or already the caller's (a Solve
   * retried on the same ref), false when another caller has it.
   */
  public boolean claimRef(String ref, int uid) {
    Integer owner = refs.putIfAbsent(ref, uid);
    return owner == null || owner == uid;
  }

  /** The owner of a build ref. */
  public Optional<Integer> refOwner(String ref) {
    return Optional.ofNullable(refs.get(ref));
  }
}
