package dev.berth.buildkit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Session ids of refused builds whose session has not been handed off yet, each with the caller
 * whose build named it: the session is closed as soon as it is handed off ({@link
 * BuildMediator#endSession}). Bounded: a session that never comes is forgotten once {@link #KEPT}
 * newer ones are remembered.
 */
final class EndedSessions {
  static final int KEPT = 1024;

  private final Map<String, Integer> ended =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
          return size() > KEPT;
        }
      };

  /** Remembers that {@code uid}'s build naming session {@code id} was refused. */
  synchronized void mark(String id, int uid) {
    ended.put(id, uid);
  }

  /** Whether {@code uid}'s session {@code id} is to end; forgets it. */
  synchronized boolean take(String id, int uid) {
    return ended.remove(id, uid);
  }
}
