package dev.berth.proxy;

import dev.berth.policy.Principal;
import dev.berth.policy.UserDirectory;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Who is on the other end of a TLS connection: the CommonName of the client certificate that {@link
 * ClientCertificateVerifier} accepted during the handshake, resolved through NSS as a user name.
 * The principal has the account's uid, primary gid and groups, like a unix-socket caller of that
 * uid; its pid and login uid are unknown (-1), and it carries the certificate's subject for the
 * audit trail.
 */
final class TlsPeerIdentity implements PeerIdentity {
  private final UserDirectory users;

  TlsPeerIdentity(UserDirectory users) {
    this.users = users;
  }

  @Override
  public Principal resolve(Channel channel) throws IdentityException {
    SslHandler ssl = channel.pipeline().get(SslHandler.class);
    if (ssl == null) {
      throw new IdentityException("no TLS session"); // a wiring bug: refuse, never guess
    }
    X509Certificate cert;
    try {
      Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
      cert = (X509Certificate) chain[0];
    } catch (SSLPeerUnverifiedException | ClassCastException | ArrayIndexOutOfBoundsException e) {
      throw new IdentityException("no verified client certificate");
    }
    String subject = cert.getSubjectX500Principal().getName();
    String name = commonName(subject);
    Optional<UserDirectory.Account> account;
    try {
      account = users.byName(name);
    } catch (UserDirectory.LookupException e) {
      throw new IdentityException(e.getMessage());
    }
    UserDirectory.Account a =
        account.orElseThrow(
            () ->
                new IdentityException(
                    "the client certificate names \"" + name + "\", which is no user (NSS)"));
    return new Principal(a.uid(), a.gid(), -1, a.name(), a.home(), a.groups(), -1, subject);
  }

  /** The one CommonName of {@code subject}; a subject with none or several names nobody. */
  static String commonName(String subject) throws IdentityException {
    List<Rdn> rdns;
    try {
      rdns = new LdapName(subject).getRdns();
    } catch (InvalidNameException e) {
      throw new IdentityException("the client certificate's subject cannot be read");
    }
    if (rdns.stream().anyMatch(r -> r.size() != 1)) {
      throw new IdentityException("the client certificate's subject has a multi-valued name");
    }
    List<String> cns =
        rdns.stream()
            .filter(r -> r.getType().equalsIgnoreCase("CN"))
            .map(r -> r.getValue())
            .map(v -> v instanceof String s ? s : null)
            .toList();
    if (cns.size() != 1 || cns.get(0) == null || cns.get(0).isEmpty()) {
      throw new IdentityException(
          "the client certificate must name exactly one user in its " + "CommonName");
    }
    return cns.get(0);
  }
}
