package dev.berth.it;

import dev.berth.it.ItEnvironment.UnixUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A throwaway PKI for plugin-mode tests, made with openssl: a CA, a server certificate for
 * 127.0.0.1, and a client certificate per user (CN = user name) in {@code DIR/<user>/} with
 * {@code ca.pem}, {@code cert.pem} and {@code key.pem}, owned by that user.
 */
final class TestPki {
  private TestPki() {}

  static void create(Path dir, List<UnixUser> users) throws IOException, InterruptedException {
    sh(dir, "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
        + " -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=berth-test-ca");
    sh(dir, "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
        + " -keyout server-key.pem -out server.csr -subj /CN=localhost"
        + " && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage=serverAuth\\n'"
        + " > server.ext && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem"
        + " -CAcreateserial -out server.pem -days 2 -extfile server.ext");
    for (UnixUser u : users) {
      String n = u.name();
      sh(dir, "mkdir -p " + n + " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256"
          + " -nodes -keyout " + n + "/key.pem -out " + n + ".csr -subj /CN=" + n
          + " && printf 'extendedKeyUsage=clientAuth\\n' > client.ext"
          + " && openssl x509 -req -in " + n + ".csr -CA ca.pem -CAkey ca-key.pem"
          + " -CAcreateserial -out " + n + "/cert.pem -days 2 -extfile client.ext"
          + " && cp ca.pem " + n + "/ && chown -R " + u.uid() + ":" + u.gid() + " " + n
          + " && chmod 700 " + n + " && chmod 600 " + n + "/key.pem");
    }
  }

  private static void sh(Path dir, String script) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-ec", script));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException("openssl failed: " + script + "\n" + out);
    }
  }
}
