package dev.berth.plugin;

import dev.berth.policy.UserDirectory;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * NSS answers by user name, kept for a few seconds. The proxy looks a caller up once per
 * connection; the plugin is asked once per request, and an NSS round trip (LDAP, SSSD) on every
 * request would dominate its latency. A change of groups or a removed account therefore applies
 * within {@link #TTL_NANOS}; failed lookups are never kept.
 */
final class RecentUsers implements UserDirectory {
  static final long TTL_NANOS = 5_000_000_000L;
  private static final int MAX_ENTRIES = 10_000;

  private record Entry(Optional<Account> account, long expires) {}

  private final UserDirectory nss;
  private final Map<String, Entry> byName = new ConcurrentHashMap<>();

  RecentUsers(UserDirectory nss) {
    this.nss = nss;
  }

  @Override
  public Optional<Account> byName(String name) throws LookupException {
    long now = System.nanoTime();
    Entry e = byName.get(name);
    if (e != null && now - e.expires() < 0) {
      return e.account();
    }
    Optional<Account> a = nss.byName(name);
    if (byName.size() >= MAX_ENTRIES) {
      byName.clear();
    }
    byName.put(name, new Entry(a, now + TTL_NANOS));
    return a;
  }

  @Override
  public Optional<Account> byUid(int uid) throws LookupException {
    return nss.byUid(uid);
  }

  @Override
  public Optional<Integer> groupId(String group) throws LookupException {
    return nss.groupId(group);
  }
}
