package dev.berth.proxy;

import dev.berth.policy.Principal;
import dev.berth.policy.UserDirectory;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Who is on the other end of a unix-socket connection: the kernel's SO_PEERCRED snapshot (taken at
 * connect time, so it cannot be forged by the client), resolved through NSS. The login uid of the
 * calling process is read for audit, so that a sudo'd caller stays attributable.
 */
final class UnixPeerIdentity implements PeerIdentity {
  private static final long UNSET_LOGIN_UID = 4294967295L;

  private final UserDirectory users;

  UnixPeerIdentity(UserDirectory users) {
    this.users = users;
  }

  @Override
  public Principal resolve(Channel channel) throws IdentityException {
    PeerCredentials cred;
    try {
      cred = ((EpollDomainSocketChannel) channel).peerCredentials();
    } catch (IOException e) {
      throw new IdentityException("cannot read the peer's credentials: " + e.getMessage());
    }
    int uid = cred.uid();
    Optional<UserDirectory.Account> account;
    try {
      account = users.byUid(uid);
    } catch (UserDirectory.LookupException e) {
      throw new IdentityException(e.getMessage());
    }
    UserDirectory.Account a =
        account.orElseThrow(() -> new IdentityException("uid " + uid + " has no user entry (NSS)"));
    int gid = cred.gids().length > 0 ? cred.gids()[0] : a.gid();
    return new Principal(
        uid, gid, cred.pid(), a.name(), a.home(), a.groups(), loginUid(cred.pid()));
  }

  private static int loginUid(int pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      long v =
          Long.parseLong(
              Files.readString(Path.of("/proc", Integer.toString(pid), "loginuid")).strip());
      return v == UNSET_LOGIN_UID || v < 0 || v > Integer.MAX_VALUE ? -1 : (int) v;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }
}
