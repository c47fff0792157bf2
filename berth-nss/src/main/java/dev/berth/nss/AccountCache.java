package dev.berth.nss;

import dev.berth.policy.UserDirectory;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A {@link UserDirectory} that remembers the accounts another one found, for a fixed period.
 *
 * <p>Design note. A site's directory (LDAP through nslcd or sssd) answers in milliseconds when it
 * is well and in seconds, or not at all, when it is not; berth asks it once per connection, and the
 * docker CLI opens several connections per command. Accounts found are kept for {@code ttl}
 * (berth's "cache period"): a user removed from a group keeps the group's role until their entry
 * expires, and no longer. Nothing else is kept: a user that was not found, or a lookup that failed,
 * is asked again next time, and an expired entry is never served while the directory is down, so
 * berth fails closed (the lookup's error reaches the caller) instead of acting on stale groups.
 * Group names ({@link #groupId}) are asked only when a policy is loaded and go straight through.
 */
public final class AccountCache implements UserDirectory {
  /** More entries than this and expired ones are swept before the next is added. */
  private static final int SWEEP_ABOVE = 10_000;

  private final UserDirectory directory;
  private final long ttlNanos;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<Object, Entry> entries = new ConcurrentHashMap<>();

  private record Entry(Account account, long expires) {}

  private record ByUid(int uid) {}

  private record ByName(String name) {}

  public AccountCache(UserDirectory directory, Duration ttl) {
    this(directory, ttl, System::nanoTime);
  }

  AccountCache(UserDirectory directory, Duration ttl, LongSupplier nanoTime) {
    this.directory = Objects.requireNonNull(directory, "directory");
    if (ttl.isNegative()) {
      throw new IllegalArgumentException("the cache period cannot be negative");
    }
    this.ttlNanos = ttl.toNanos();
    this.nanoTime = nanoTime;
  }

  @Override
  public Optional<Account> byUid(int uid) throws LookupException {
    Optional<Account> cached = cached(new ByUid(uid));
    return cached.isPresent() ? cached : remember(directory.byUid(uid));
  }

  @Override
  public Optional<Account> byName(String name) throws LookupException {
    Optional<Account> cached = cached(new ByName(name));
    return cached.isPresent() ? cached : remember(directory.byName(name));
  }

  @Override
  public Optional<Integer> groupId(String group) throws LookupException {
    return directory.groupId(group);
  }

  private Optional<Account> cached(Object key) {
    Entry e = entries.get(key);
    if (e == null) {
      return Optional.empty();
    }
    if (nanoTime.getAsLong() - e.expires() >= 0) {
      entries.remove(key, e);
      return Optional.empty();
    }
    return Optional.of(e.account());
  }

  private Optional<Account> remember(Optional<Account> found) {
    if (found.isEmpty() || ttlNanos == 0) {
      return found;
    }
    long now = nanoTime.getAsLong();
    if (entries.size() > SWEEP_ABOVE) {
      entries.values().removeIf(e -> now - e.expires() >= 0);
    }
    Entry e = new Entry(found.get(), now + ttlNanos);
    entries.put(new ByUid(e.account().uid()), e);
    entries.put(new ByName(e.account().name()), e);
    return found;
  }
}
