package dev.berth.cli;

import dev.berth.cli.systemd.ServiceManager;
import java.io.IOException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code serve} and {@code plugin} tell systemd ({@code Type=notify}): ready once the socket
 * accepts connections, stopping when shutdown begins. Nothing outside systemd. A notification that
 * cannot be sent is logged, never fatal: systemd then times the start out and says so.
 */
final class Readiness {
  private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);

  private Readiness() {}

  static void ready(String status) {
    send("READY=1\nSTATUS=" + status + "\nMAINPID=" + ProcessHandle.current().pid());
  }

  static void stopping() {
    send("STOPPING=1\nSTATUS=stopping");
  }

  private static void send(String state) {
    Optional<ServiceManager> manager;
    try {
      manager = ServiceManager.fromEnvironment();
    } catch (IllegalArgumentException e) {
      LOG.atWarn().addKeyValue("error", e.getMessage()).log("cannot notify systemd");
      return;
    }
    manager.ifPresent(
        m -> {
          try {
            m.notify(state);
          } catch (IOException | RuntimeException e) {
            LOG.atWarn()
                .addKeyValue("socket", m)
                .addKeyValue("error", e.getMessage())
                .log("cannot notify systemd");
          }
        });
  }
}
