package dev.berth.cli;

import dev.berth.cli.login.LoginClient;
import dev.berth.nss.NssUserDirectory;
import dev.berth.pki.FileOwner;
import dev.berth.pki.PkiException;
import dev.berth.policy.UserDirectory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.ietf.jgss.GSSException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code berth login}: a Kerberos ticket for a short-lived client certificate. */
@Command(
    name = "login",
    mixinStandardHelpOptions = true,
    description = {
      "Trade your Kerberos ticket (kinit first) for a client certificate of berth's CA, valid",
      "for a few hours, and write it where the docker CLI reads it (ca.pem, cert.pem, key.pem",
      "in ~/.docker by default). Then: DOCKER_HOST=tcp://HOST:PORT DOCKER_TLS_VERIFY=1 docker"
    })
final class LoginCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--server",
      required = true,
      paramLabel = "HOST:PORT",
      description = "berth's login service (berth serve --login).")
  String server;

  @Option(
      names = "--ca",
      paramLabel = "FILE",
      defaultValue = "/etc/berth/ca.pem",
      description = "berth's CA certificate, to check the service (default: ${DEFAULT-VALUE}).")
  Path ca;

  @Option(
      names = "--service",
      paramLabel = "NAME",
      description = "The service's Kerberos name (default: HTTP@HOST of --server).")
  String service;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      description = "Where to write the credentials (default: ~/.docker).")
  Path out;

  @Override
  public Integer call() throws Exception {
    URI uri = URI.create("https://" + server);
    if (uri.getHost() == null || uri.getPort() < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--server: expected HOST:PORT, got " + server);
    }
    int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    UserDirectory.Account me =
        new NssUserDirectory()
            .byUid(uid)
            .orElseThrow(
                () ->
                    new CommandLine.ExecutionException(
                        spec.commandLine(),
                        "berth login: uid " + uid + " has no user entry (NSS)"));
    String home = System.getenv("HOME"); // as the docker CLI finds ~/.docker
    Path dir =
        out != null ? out : Path.of(home != null && !home.isEmpty() ? home : me.home(), ".docker");
    try {
      LoginClient.Result r =
          LoginClient.login(
              uri,
              ca,
              service != null ? service : "HTTP@" + uri.getHost(),
              dir,
              new FileOwner(me.name(), me.uid(), me.gid()));
      spec.commandLine()
          .getOut()
          .printf(
              "berth: logged in as %s; certificate in %s, valid " + "until %s%n",
              r.user(), dir, r.notAfter());
      return 0;
    } catch (GSSException e) {
      spec.commandLine()
          .getErr()
          .println(
              "berth login: no usable Kerberos ticket (" + e.getMessage() + "); run kinit first");
      return 1;
    } catch (IOException | PkiException e) {
      spec.commandLine().getErr().println("berth login: " + e.getMessage());
      return 1;
    }
  }
}
