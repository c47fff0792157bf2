package dev.berth.nss;

import dev.berth.policy.UserDirectory;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@link UserDirectory} backed by glibc's reentrant {@code getpwuid_r}, {@code getpwnam_r} and
 * {@code getgrouplist}.
 *
 * <p>Design note. The calls are the thread-safe {@code _r} variants with a per-call buffer that
 * grows on {@code ERANGE} up to a bound, so concurrent lookups from Netty's event loops need no
 * lock. NSS modules may block (an LDAP server); callers should not hold a lock while calling. The
 * {@code struct passwd} layout below is the one of glibc on 64-bit Linux, the only platform berth's
 * epoll transport runs on.
 */
public final class NssUserDirectory implements UserDirectory {
  private static final int ERANGE = 34;
  private static final int MAX_BUFFER = 1 << 20;
  private static final int MAX_GROUPS = 65536;

  // struct passwd on LP64 glibc: char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid;
  // char *pw_gecos; char *pw_dir; char *pw_shell;
  private static final long PASSWD_SIZE = 48;
  private static final long PW_NAME = 0;
  private static final long PW_UID = 16;
  private static final long PW_GID = 20;
  private static final long PW_DIR = 32;

  // struct group on LP64 glibc: char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem;
  private static final long GROUP_SIZE = 32;
  private static final long GR_GID = 16;

  /**
   * Each C function is linked on first use (a holder class per function): linking a downcall spins
   * classes, and {@code berth run}, which starts a JVM in front of every container, needs only
   * three of the five.
   */
  public NssUserDirectory() {}

  private static final FunctionDescriptor BY_NAME =
      FunctionDescriptor.of(
          ValueLayout.JAVA_INT,
          ValueLayout.ADDRESS,
          ValueLayout.ADDRESS,
          ValueLayout.ADDRESS,
          ValueLayout.JAVA_LONG,
          ValueLayout.ADDRESS);

  private static final FunctionDescriptor BY_ID =
      FunctionDescriptor.of(
          ValueLayout.JAVA_INT,
          ValueLayout.JAVA_INT,
          ValueLayout.ADDRESS,
          ValueLayout.ADDRESS,
          ValueLayout.JAVA_LONG,
          ValueLayout.ADDRESS);

  private static MethodHandle link(String name, FunctionDescriptor descriptor) {
    Linker linker = Linker.nativeLinker();
    return linker.downcallHandle(find(linker.defaultLookup(), name), descriptor);
  }

  private static final class GetpwuidR {
    static final MethodHandle HANDLE = link("getpwuid_r", BY_ID);
  }

  private static final class GetpwnamR {
    static final MethodHandle HANDLE = link("getpwnam_r", BY_NAME);
  }

  private static final class GetgrnamR {
    static final MethodHandle HANDLE = link("getgrnam_r", BY_NAME);
  }

  private static final class GetgrgidR {
    static final MethodHandle HANDLE = link("getgrgid_r", BY_ID);
  }

  private static final class Getgrouplist {
    static final MethodHandle HANDLE =
        link(
            "getgrouplist",
            FunctionDescriptor.of(
                ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS,
                ValueLayout.ADDRESS));
  }

  @Override
  public Optional<Account> byUid(int uid) throws LookupException {
    return lookup(uid, null);
  }

  @Override
  public Optional<Account> byName(String name) throws LookupException {
    return lookup(0, name);
  }

  @Override
  public Optional<Integer> groupId(String group) throws LookupException {
    for (int size = 4096; size <= MAX_BUFFER; size *= 4) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment grp = arena.allocate(GROUP_SIZE, 8);
        MemorySegment buf = arena.allocate(size);
        MemorySegment result = arena.allocate(ValueLayout.ADDRESS);
        int rc =
            (int)
                GetgrnamR.HANDLE.invokeExact(
                    arena.allocateFrom(group), grp, buf, (long) size, result);
        if (rc == ERANGE) {
          continue;
        }
        if (rc != 0) {
          throw new LookupException(failure("group " + group, rc));
        }
        if (result.get(ValueLayout.ADDRESS, 0).equals(MemorySegment.NULL)) {
          return Optional.empty();
        }
        return Optional.of(grp.get(ValueLayout.JAVA_INT, GR_GID));
      } catch (LookupException e) {
        throw e;
      } catch (Throwable t) {
        throw new LookupException("NSS lookup failed: " + t);
      }
    }
    throw new LookupException(
        "NSS entry for group " + group + " is larger than " + MAX_BUFFER + " bytes");
  }

  /** The name of the group with this gid, or empty when there is none. */
  public Optional<String> groupName(int gid) throws LookupException {
    for (int size = 4096; size <= MAX_BUFFER; size *= 4) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment grp = arena.allocate(GROUP_SIZE, 8);
        MemorySegment buf = arena.allocate(size);
        MemorySegment result = arena.allocate(ValueLayout.ADDRESS);
        int rc = (int) GetgrgidR.HANDLE.invokeExact(gid, grp, buf, (long) size, result);
        if (rc == ERANGE) {
          continue;
        }
        if (rc != 0) {
          throw new LookupException(failure("gid " + gid, rc));
        }
        if (result.get(ValueLayout.ADDRESS, 0).equals(MemorySegment.NULL)) {
          return Optional.empty();
        }
        return Optional.of(cString(grp.get(ValueLayout.ADDRESS, 0)));
      } catch (LookupException e) {
        throw e;
      } catch (Throwable t) {
        throw new LookupException("NSS lookup failed: " + t);
      }
    }
    throw new LookupException(
        "NSS entry for gid " + gid + " is larger than " + MAX_BUFFER + " bytes");
  }

  private Optional<Account> lookup(int uid, @Nullable String name) throws LookupException {
    for (int size = 4096; size <= MAX_BUFFER; size *= 4) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment pwd = arena.allocate(PASSWD_SIZE, 8);
        MemorySegment buf = arena.allocate(size);
        MemorySegment result = arena.allocate(ValueLayout.ADDRESS);
        int rc =
            name == null
                ? (int) GetpwuidR.HANDLE.invokeExact(uid, pwd, buf, (long) size, result)
                : (int)
                    GetpwnamR.HANDLE.invokeExact(
                        arena.allocateFrom(name), pwd, buf, (long) size, result);
        if (rc == ERANGE) {
          continue;
        }
        if (rc != 0) {
          throw new LookupException(failure(name == null ? "uid " + uid : name, rc));
        }
        if (result.get(ValueLayout.ADDRESS, 0).equals(MemorySegment.NULL)) {
          return Optional.empty();
        }
        String userName = cString(pwd.get(ValueLayout.ADDRESS, PW_NAME));
        int pwUid = pwd.get(ValueLayout.JAVA_INT, PW_UID);
        int pwGid = pwd.get(ValueLayout.JAVA_INT, PW_GID);
        String home = cString(pwd.get(ValueLayout.ADDRESS, PW_DIR));
        return Optional.of(new Account(userName, pwUid, pwGid, home, groups(userName, pwGid)));
      } catch (LookupException e) {
        throw e;
      } catch (Throwable t) {
        throw new LookupException("NSS lookup failed: " + t);
      }
    }
    throw new LookupException(
        "NSS entry for "
            + (name == null ? "uid " + uid : name)
            + " is larger than "
            + MAX_BUFFER
            + " bytes");
  }

  /** Every gid of the user, primary first, as {@code id -G} prints them. */
  private List<Integer> groups(String user, int primary) throws Throwable {
    int capacity = 64;
    while (capacity <= MAX_GROUPS) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment groups = arena.allocate(ValueLayout.JAVA_INT, capacity);
        MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
        count.set(ValueLayout.JAVA_INT, 0, capacity);
        int rc =
            (int) Getgrouplist.HANDLE.invokeExact(arena.allocateFrom(user), primary, groups, count);
        int n = count.get(ValueLayout.JAVA_INT, 0);
        if (rc == -1) {
          capacity = Math.max(capacity * 2, n);
          continue;
        }
        Set<Integer> out = new LinkedHashSet<>();
        out.add(primary);
        for (int i = 0; i < n; i++) {
          out.add(groups.getAtIndex(ValueLayout.JAVA_INT, i));
        }
        return new ArrayList<>(out);
      }
    }
    throw new LookupException("user " + user + " is in more than " + MAX_GROUPS + " groups");
  }

  /**
   * Why a lookup failed. glibc answers "not found" with 0 and a null result; a non-zero code is the
   * errno of a source that could not answer (nss-ldapd gives ENOENT when nslcd cannot reach the
   * directory, sssd EAGAIN or ETIMEDOUT while it is offline).
   */
  static String failure(String what, int rc) {
    String code =
        switch (rc) {
          case 2 -> "ENOENT";
          case 5 -> "EIO";
          case 11 -> "EAGAIN";
          case 110 -> "ETIMEDOUT";
          case 111 -> "ECONNREFUSED";
          default -> "errno " + rc;
        };
    return "the user directory did not answer for "
        + what
        + " (NSS: "
        + code
        + "; is LDAP/nslcd/sssd up?)";
  }

  private static String cString(MemorySegment p) {
    return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(Long.MAX_VALUE).getString(0);
  }

  private static MemorySegment find(SymbolLookup lookup, String symbol) {
    return lookup
        .find(symbol)
        .orElseThrow(() -> new IllegalStateException("the C library has no " + symbol));
  }
}
