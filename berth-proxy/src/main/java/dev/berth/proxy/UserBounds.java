package dev.berth.proxy;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What each user holds of berth at this moment: open connections and requests in flight (a stream
 * such as {@code logs -f} or an attached session is in flight until it ends). One user reaching a
 * bound is refused with 429; nobody else is affected, which is the point: a user's idle or slow
 * connections must not use up the descriptors and threads other users need.
 *
 * <p>Thread-safe: connections of one user are served by several event loops.
 */
final class UserBounds {
  private final ConcurrentHashMap<Integer, Usage> users = new ConcurrentHashMap<>();

  private static final class Usage {
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger requests = new AtomicInteger();
  }

  private Usage of(int uid) {
    return users.computeIfAbsent(uid, u -> new Usage());
  }

  /** Counts a new connection of {@code uid}; false (and not counted) when it is one too many. */
  boolean openConnection(int uid, int max) {
    return acquire(of(uid).connections, max);
  }

  void closeConnection(int uid) {
    of(uid).connections.decrementAndGet();
  }

  /** Counts a new request of {@code uid}; false (and not counted) when it is one too many. */
  boolean startRequest(int uid, int max) {
    return acquire(of(uid).requests, max);
  }

  void endRequest(int uid) {
    of(uid).requests.decrementAndGet();
  }

  int connections(int uid) {
    return of(uid).connections.get();
  }

  int requests(int uid) {
    return of(uid).requests.get();
  }

  private static boolean acquire(AtomicInteger counter, int max) {
    while (true) {
      int n = counter.get();
      if (n >= max) {
        return false;
      }
      if (counter.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }
}
