package dev.berth.cli.login;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletionException;
import javax.security.auth.Subject;
import javax.security.auth.kerberos.KerberosPrincipal;
import javax.security.auth.kerberos.KeyTab;
import org.ietf.jgss.GSSContext;
import org.ietf.jgss.GSSCredential;
import org.ietf.jgss.GSSException;
import org.ietf.jgss.GSSManager;
import org.ietf.jgss.GSSName;
import org.ietf.jgss.Oid;

/**
 * Checks a SPNEGO token (HTTP {@code Authorization: Negotiate}) with the JDK's own GSS-API against
 * the service's keytab and says which Kerberos principal presented it.
 *
 * <p>Design note. The service key comes from a keytab held in a {@link Subject}'s private
 * credentials (no JAAS configuration file, no ticket cache of the service). The keytab is the
 * service's password: it must be a regular file that neither the group nor others can read, or
 * berth does not start (a user who reads it could mint tickets to the service for anyone). The
 * token is an AP-REQ: it proves the client holds a ticket for this service, and the JDK's replay
 * cache refuses the same authenticator twice within the clock skew; the token travels only inside
 * the server-authenticated TLS connection (see {@link LoginServer}).
 */
final class KerberosAcceptor {
  private static final Oid SPNEGO = oid("1.3.6.1.5.5.2");
  private static final Oid KRB5 = oid("1.2.840.113554.1.2.2");
  private static final Oid KRB5_PRINCIPAL = oid("1.2.840.113554.1.2.2.1");

  private final Subject service;
  private final String principal;

  KerberosAcceptor(Path keytab, String principal) throws IOException {
    PosixFileAttributes a =
        Files.readAttributes(keytab, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    Set<PosixFilePermission> open =
        EnumSet.of(
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE);
    open.retainAll(a.permissions());
    if (!a.isRegularFile() || !open.isEmpty()) {
      throw new IOException(
          keytab
              + ": the keytab must be a regular file readable by berth "
              + "only (chmod 600); it is "
              + (a.isRegularFile() ? "open to " + open : "not a file"));
    }
    KerberosPrincipal kp = new KerberosPrincipal(principal);
    this.service = new Subject();
    service.getPrincipals().add(kp);
    service.getPrivateCredentials().add(KeyTab.getInstance(kp, keytab.toFile()));
    this.principal = principal;
    useKrb5ConfigOfTheEnvironment();
  }

  /**
   * Makes the JDK read the krb5.conf that MIT's tools read: {@code KRB5_CONFIG} (its first file)
   * unless {@code java.security.krb5.conf} is set.
   */
  static void useKrb5ConfigOfTheEnvironment() {
    String krb5Config = System.getenv("KRB5_CONFIG");
    if (krb5Config != null && System.getProperty("java.security.krb5.conf") == null) {
      System.setProperty("java.security.krb5.conf", krb5Config.split(":")[0]);
    }
  }

  /**
   * The principal ({@code name@REALM}) that made {@code token}.
   *
   * @throws GSSException when the token is not a valid, fresh ticket for this service
   */
  String accept(byte[] token) throws GSSException {
    try {
      return Subject.callAs(
          service,
          () -> {
            GSSManager m = GSSManager.getInstance();
            GSSCredential cred =
                m.createCredential(
                    m.createName(principal, KRB5_PRINCIPAL),
                    GSSCredential.INDEFINITE_LIFETIME,
                    new Oid[] {SPNEGO, KRB5},
                    GSSCredential.ACCEPT_ONLY);
            GSSContext ctx = m.createContext(cred);
            try {
              ctx.acceptSecContext(token, 0, token.length);
              if (!ctx.isEstablished()) {
                throw new GSSException(
                    GSSException.DEFECTIVE_TOKEN, 0, "the token needs more than one round trip");
              }
              GSSName who = ctx.getSrcName();
              return who.toString();
            } finally {
              ctx.dispose();
            }
          });
    } catch (CompletionException e) {
      if (e.getCause() instanceof GSSException g) {
        throw g;
      }
      throw new GSSException(GSSException.FAILURE, 0, String.valueOf(e.getCause()));
    }
  }

  private static Oid oid(String s) {
    try {
      return new Oid(s);
    } catch (GSSException e) {
      throw new IllegalStateException(e);
    }
  }
}
