package dev.berth.proxy;

import dev.berth.policy.Principal;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Finds out who a new connection belongs to without blocking the event loop.
 *
 * <p>Design note. {@link PeerIdentity#resolve} asks NSS, which may ask a directory server (nslcd,
 * sssd) and wait for it. On an event loop, one user whose directory is slow would stall every
 * connection sharing that loop, whoever they are. So the lookup runs on a small pool of platform
 * threads (not virtual threads: a native call pins its carrier, and a few stuck calls would stall
 * every virtual thread of the process), and the connection reads nothing until the answer is back.
 * Every connection gets an answer: the principal, or an {@link PeerIdentity.IdentityException} that
 * says why not — the lookup failed, it did not finish within {@link #TIMEOUT} (the C call cannot be
 * cancelled; its thread is freed when NSS gives up), or too many lookups are already waiting. The
 * caller is then refused with that reason (fails closed).
 */
final class CallerIdentification implements AutoCloseable {
  /** berth's own bound on a lookup; nslcd's and sssd's timeouts are usually shorter. */
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private static final int THREADS = 16;
  private static final int QUEUED = 1024;

  private final ThreadPoolExecutor threads;

  CallerIdentification() {
    AtomicInteger n = new AtomicInteger();
    threads =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUED),
            r -> {
              Thread t = new Thread(r, "berth-nss-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    threads.allowCoreThreadTimeOut(true);
  }

  /**
   * The principal of {@code channel} as {@code identity} resolves it; completes on a lookup thread
   * (hop back to the channel's loop before touching its state).
   */
  CompletableFuture<Principal> identify(PeerIdentity identity, Channel channel) {
    CompletableFuture<Principal> answer = new CompletableFuture<>();
    try {
      threads.execute(
          () -> {
            try {
              answer.complete(identity.resolve(channel));
            } catch (PeerIdentity.IdentityException e) {
              answer.completeExceptionally(e);
            } catch (RuntimeException e) {
              answer.completeExceptionally(
                  new PeerIdentity.IdentityException("the user lookup failed: " + e));
            }
          });
    } catch (RejectedExecutionException e) {
      answer.completeExceptionally(
          new PeerIdentity.IdentityException(
              "too many user lookups are waiting for the user directory; try again"));
      return answer;
    }
    CompletableFuture.delayedExecutor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .execute(
            () ->
                answer.completeExceptionally(
                    new PeerIdentity.IdentityException(
                        "the user directory (NSS) did not answer within "
                            + TIMEOUT.toSeconds()
                            + " s")));
    return answer;
  }

  @Override
  public void close() {
    threads.shutdownNow();
  }
}
