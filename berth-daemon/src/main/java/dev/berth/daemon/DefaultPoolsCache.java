package dev.berth.daemon;

import dev.berth.policy.AddressPool;
import dev.berth.policy.ObjectDirectory.LookupException;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The daemon's default address pools, as last read from its {@code GET /info}, for judging the
 * subnets users name ({@code docker network create --subnet}).
 *
 * <p>Design note. dockerd reads {@code default-address-pools} once, when it starts, so the pools
 * change only with a restart; {@code /info} is one of the daemon's heavier answers (it counts
 * containers and images and asks the storage driver), and network creates come in bursts (compose
 * up). So a read is kept for {@link #KEPT} and read again after it. A daemon restarted with other
 * pools within that time would leave berth judging by the old ones: a subnet outside them makes the
 * rule {@code recheck}, which reads again unless the last read is younger than {@link #RECHECK_GAP}
 * (so a user who names subnets outside the pools cannot make berth ask the daemon on every
 * request). A subnet inside the old pools but outside the new ones is accepted until the read
 * expires; it is still judged against the host's routes, and the daemon refuses overlaps with its
 * networks. When the daemon cannot be asked, the read fails (the rule refuses: fail closed);
 * nothing stale is used past {@link #KEPT}.
 */
final class DefaultPoolsCache {
  /** How long a read is used without asking again. */
  static final Duration KEPT = Duration.ofMinutes(5);

  /** The youngest read a recheck does not repeat. */
  static final Duration RECHECK_GAP = Duration.ofSeconds(10);

  /** One read of the daemon's pools. */
  interface Reader {
    List<AddressPool> read() throws LookupException;
  }

  private record Read(List<AddressPool> pools, long atNanos) {}

  private final Reader reader;
  private final LongSupplier nanoTime;
  private @Nullable Read last;

  DefaultPoolsCache(Reader reader, LongSupplier nanoTime) {
    this.reader = reader;
    this.nanoTime = nanoTime;
  }

  /**
   * The pools, read again when the last read is older than {@link #KEPT}, or when {@code recheck}
   * and it is older than {@link #RECHECK_GAP}. Callers run off the event loops; concurrent callers
   * wait for one read.
   */
  synchronized List<AddressPool> pools(boolean recheck) throws LookupException {
    long now = nanoTime.getAsLong();
    Read known = last;
    if (known != null) {
      long age = now - known.atNanos();
      if (age < (recheck ? RECHECK_GAP : KEPT).toNanos()) {
        return known.pools();
      }
    }
    Read fresh = new Read(reader.read(), now);
    last = fresh;
    return fresh.pools();
  }
}
