package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code berth serve --listen}: the listener combinations it refuses before starting. */
class ServeListenOptionsTest {
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = BerthCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute(args);
  }

  @Test
  void tcpListener_withoutTls_isRefused() {
    assertThat(run("serve", "--listen", "tcp://127.0.0.1:2376")).isEqualTo(2);
    assertThat(err.toString())
        .contains(
            "berth serves TCP only with mutual TLS; give " + "--tls-cert, --tls-key and --tls-ca");
  }

  @Test
  void tlsOptions_withoutTcpListener_areRefused() {
    assertThat(run("serve", "--tls-ca", "/etc/berth/pki/ca.pem")).isEqualTo(2);
    assertThat(err.toString()).contains("--tls-* options need a --listen tcp://HOST:PORT");
  }

  @Test
  void twoUnixSockets_areRefused() {
    assertThat(run("serve", "--listen", "unix:///tmp/a.sock", "--listen", "unix:///tmp/b.sock"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--listen: at most one unix socket");
  }

  @Test
  void tcpListener_withoutPort_isRefused() {
    assertThat(run("serve", "--listen", "tcp://0.0.0.0")).isEqualTo(2);
    assertThat(err.toString()).contains("expected tcp://HOST:PORT");
  }

  @Test
  void otherScheme_isRefused() {
    assertThat(run("serve", "--listen", "http://0.0.0.0:2375")).isEqualTo(2);
    assertThat(err.toString()).contains("expected unix:///path or tcp://host:port");
  }
}
