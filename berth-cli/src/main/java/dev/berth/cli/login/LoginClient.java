package dev.berth.cli.login;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.pki.CertificateAuthority;
import dev.berth.pki.CertificateBundle;
import dev.berth.pki.FileOwner;
import dev.berth.pki.PkiException;
import dev.berth.policy.docker.DockerJson;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.ietf.jgss.GSSContext;
import org.ietf.jgss.GSSException;
import org.ietf.jgss.GSSManager;
import org.ietf.jgss.GSSName;
import org.ietf.jgss.Oid;

/**
 * The client side of {@code berth login}: a SPNEGO token from the user's Kerberos ticket cache (the
 * JDK's GSS-API, {@code KRB5CCNAME} and {@code KRB5_CONFIG} as MIT's tools read them), sent to the
 * login service over TLS checked against the site's CA, and the certificate it returns written
 * where the docker CLI looks ({@code ca.pem}, {@code cert.pem}, {@code key.pem}).
 */
public final class LoginClient {
  private static final ObjectMapper JSON = DockerJson.mapper();

  private LoginClient() {}

  /** What the service answered: the user and when the certificate expires. */
  public record Result(String user, String notAfter) {}

  /**
   * Logs in to {@code server} (https://HOST:PORT) as the holder of the ticket cache, for {@code
   * service} (a host-based name such as {@code HTTP@berth.example.org}), and writes the credentials
   * into {@code out}, owned by {@code owner}.
   */
  public static Result login(URI server, Path caFile, String service, Path out, FileOwner owner)
      throws IOException, GSSException, PkiException, InterruptedException {
    KerberosAcceptor.useKrb5ConfigOfTheEnvironment();
    // The initiator's ticket comes from the ticket cache, not from a JAAS login.
    System.setProperty("javax.security.auth.useSubjectCredsOnly", "false");
    GSSManager m = GSSManager.getInstance();
    GSSContext ctx =
        m.createContext(
            m.createName(service, GSSName.NT_HOSTBASED_SERVICE),
            new Oid("1.3.6.1.5.5.2"),
            null,
            GSSContext.DEFAULT_LIFETIME);
    byte[] token;
    try {
      ctx.requestMutualAuth(false);
      ctx.requestCredDeleg(false);
      token = ctx.initSecContext(new byte[0], 0, 0);
    } finally {
      ctx.dispose();
    }
    HttpClient http =
        HttpClient.newBuilder()
            .sslContext(trusting(caFile))
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    HttpResponse<String> resp =
        http.send(
            HttpRequest.newBuilder(server.resolve(LoginServer.PATH))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Negotiate " + Base64.getEncoder().encodeToString(token))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode body = JSON.readTree(resp.body());
    if (resp.statusCode() != 200) {
      throw new IOException(
          body.path("message").asText("the login service answered " + resp.statusCode()));
    }
    CertificateBundle b =
        CertificateBundle.fromPem(
            body.path("certificate").asText(), body.path("key").asText(), body.path("ca").asText());
    CertificateAuthority.writeUserFiles(b, out, owner);
    return new Result(body.path("user").asText(), body.path("notAfter").asText());
  }

  private static SSLContext trusting(Path caFile) throws IOException {
    try (InputStream in = Files.newInputStream(caFile)) {
      X509Certificate ca =
          (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("berth-ca", ca);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return ssl;
    } catch (GeneralSecurityException e) {
      throw new IOException(caFile + ": " + e.getMessage(), e);
    }
  }
}
