package dev.berth.cli;

import dev.berth.nss.NssUserDirectory;
import dev.berth.policy.Bounds;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Grant;
import dev.berth.policy.HostPaths;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.RequestException;
import dev.berth.policy.Role;
import dev.berth.policy.UserDirectory;
import dev.berth.policy.docker.DockerJson;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code berth policy explain}: what the policy does with one request, and why. */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    description = {
      "Decide one raw HTTP request as a given user, without sending it anywhere.",
      "Prints the decision, the rule that made it, and the request berth would forward.",
      "",
      "Example:",
      "  printf 'POST /v1.51/containers/create HTTP/1.1\\r\\n\\r\\n{\"Image\":\"busybox\","
          + "\"HostConfig\":{\"Privileged\":true}}' \\",
      "    | berth policy explain --user alice"
    })
final class ExplainCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--user",
      required = true,
      paramLabel = "NAME",
      description = "The caller, resolved through NSS.")
  String user;

  @Option(
      names = "--policy",
      paramLabel = "FILE",
      description = "Policy file (default: the embedded default policy).")
  Path policy;

  @Option(
      names = "--request",
      paramLabel = "FILE",
      description = "Raw HTTP request: request line, headers, blank line, body (default: stdin).")
  Path request;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    UserDirectory users = new NssUserDirectory();
    UserDirectory.Account a =
        users
            .byName(user)
            .orElseThrow(
                () ->
                    new CommandLine.ParameterException(
                        spec.commandLine(), "no such user: " + user));
    Principal who = new Principal(a.uid(), a.gid(), -1, a.name(), a.home(), a.groups(), -1);
    PolicyEngine engine = new PolicyEngine(PolicySource.load(policy, users), HostPaths.local());
    byte[] raw;
    try (InputStream in = request == null ? System.in : Files.newInputStream(request)) {
      raw = in.readAllBytes();
    }
    int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    int sep = end < 0 ? indexOf(raw, "\n\n".getBytes(StandardCharsets.US_ASCII)) : end;
    int bodyStart = sep < 0 ? raw.length : sep + (end < 0 ? 2 : 4);
    String headText = new String(raw, 0, sep < 0 ? raw.length : sep, StandardCharsets.UTF_8);
    String[] line = headText.lines().findFirst().orElse("").trim().split(" ");
    if (line.length < 2) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "expected a request line such as 'GET /v1.51/containers/json HTTP/1.1'");
    }
    byte[] body = Arrays.copyOfRange(raw, bodyStart, raw.length);
    Decision d;
    try {
      d = engine.evaluate(who, CanonicalRequest.parse(line[0], line[1]), body, NO_IMAGES);
    } catch (RequestException e) {
      out.printf("decision: deny (request)%nreason:   berth: %s%n", e.getMessage());
      out.flush();
      return 1;
    }
    out.printf(
        "user:     %s (uid %d, gid %d, groups %s)%n",
        who.name(), who.uid(), who.gid(), who.groups());
    out.printf("policy:   %s (sha256 %s)%n", engine.policy().source(), engine.policy().digest());
    engine.policy().roleOf(who).ifPresent(role -> out.printf("bounds:   %s%n", bounds(role)));
    engine
        .policy()
        .grantOf(who)
        .map(Grant::role)
        .filter(r -> r.images().restricts())
        .ifPresent(
            r -> {
              out.printf(
                  "images:   role %s allows only what its image rules allow (images are "
                      + "judged by name: explain asks no daemon)%n",
                  r.name());
              r.images().rules().forEach(rule -> out.printf("          %s%n", rule.summary()));
            });
    switch (d) {
      case Decision.Allow allow -> {
        out.printf("decision: allow (rule %s)%n", allow.rule());
        allow.rewrites().forEach(r -> out.printf("rewrote:  %s%n", r));
        out.printf("forward:  %s %s%n", allow.forward().method(), allow.forward().target());
        if (allow.forward().body() instanceof CanonicalRequest.Body.Json json) {
          out.printf(
              "body:     %s%n", new String(DockerJson.write(json.value()), StandardCharsets.UTF_8));
        }
      }
      case Decision.Deny deny ->
          out.printf(
              "decision: deny (rule %s, %s)%nreason:   %s%n",
              deny.rule(), deny.status(), deny.reason());
      case Decision.Indeterminate i ->
          out.printf("decision: refused (rule %s)%nreason:   %s%n", i.rule(), i.detail());
    }
    out.flush();
    return d instanceof Decision.Allow ? 0 : 1;
  }

  /** The caller's per-user bounds on berth itself, as their role sets them. */
  static String bounds(Role role) {
    Bounds b = role.bounds();
    String at = "roles." + role.name() + ".bounds.";
    return (b.connections() > 0
            ? b.connections() + " connections (" + at + "connections)"
            : "connections as berth serve --max-connections-per-user")
        + ", "
        + (b.requestsInFlight() > 0
            ? b.requestsInFlight() + " requests in flight (" + at + "requests_in_flight)"
            : "requests in flight as berth serve --max-requests-per-user")
        + "; never more than berth serve's --max-*-per-user";
  }

  /**
   * Explain asks no daemon: every image is taken to be absent, so an image reference is judged by
   * its name, as the daemon's 404 and the pull that follows would be (other lookups fail).
   */
  private static final ObjectDirectory NO_IMAGES =
      new ObjectDirectory() {
        @Override
        public Optional<DockerObject> image(String ref) {
          return Optional.empty();
        }
      };

  private static int indexOf(byte[] data, byte[] pattern) {
    outer:
    for (int i = 0; i + pattern.length <= data.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
