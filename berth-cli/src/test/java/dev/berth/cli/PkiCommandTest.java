package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code berth pki} as an operator types it; the CA itself is tested in berth-pki. */
class PkiCommandTest {
  @TempDir Path tmp;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = BerthCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  private String dir() {
    return tmp.resolve("pki").toString();
  }

  @Test
  void init_twice_secondIsRefusedWithExitStatus1() {
    assertThat(run("pki", "init", "--dir", dir())).as(err.toString()).isZero();

    assertThat(run("pki", "init", "--dir", dir())).isEqualTo(1);
    assertThat(err.toString())
        .startsWith("berth pki: " + tmp.resolve("pki/ca.pem") + " exists: there is a CA in");
  }

  @Test
  void server_writesCertificateAndKeyIntoTheCaDirectory() {
    run("pki", "init", "--dir", dir());

    assertThat(
            run("pki", "server", "--dir", dir(), "--san", "DNS:localhost", "--san", "IP:127.0.0.1"))
        .as(err.toString())
        .isZero();
    assertThat(tmp.resolve("pki/berth-cert.pem")).exists();
    assertThat(tmp.resolve("pki/berth-key.pem")).exists();
  }

  @Test
  void server_withABadSan_isAUsageError() {
    run("pki", "init", "--dir", dir());

    assertThat(run("pki", "server", "--dir", dir(), "--san", "localhost")).isEqualTo(2);
    assertThat(err.toString()).contains("--san: expected DNS:name or IP:address, got localhost");
  }

  @Test
  void user_unknownToNss_isRefused() {
    run("pki", "init", "--dir", dir());

    assertThat(
            run(
                "pki",
                "user",
                "no-such-user-berth",
                "--dir",
                dir(),
                "--out",
                tmp.resolve("out").toString()))
        .isEqualTo(1);
    assertThat(err.toString()).contains("no user no-such-user-berth (NSS)");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void user_root_isRefused() {
    run("pki", "init", "--dir", dir());

    assertThat(run("pki", "user", "root", "--dir", dir(), "--out", tmp.resolve("out").toString()))
        .isEqualTo(1);
    assertThat(err.toString()).contains("root is uid 0");
  }

  @Test
  void user_thenRevoke_listsTheCertificateAsRevoked() throws Exception {
    run("pki", "init", "--dir", dir());
    Path certs = tmp.resolve("nobody/berth");
    Files.createDirectories(certs.getParent());

    assertThat(run("pki", "user", "nobody", "--dir", dir(), "--out", certs.toString()))
        .as(err.toString())
        .isZero();
    assertThat(certs.resolve("key.pem")).exists();
    assertThat(out.toString()).contains("DOCKER_CERT_PATH=" + certs).doesNotContain("PRIVATE KEY");
    assertThat(run("pki", "revoke", "nobody", "--dir", dir())).as(err.toString()).isZero();
    assertThat(run("pki", "list", "--dir", dir())).isZero();
    assertThat(out.toString()).containsPattern("user +\\S+ +revoked \\S+ +nobody");
  }
}
