package dev.berth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Issue 16 item 2: {@code policy check} and {@code policy explain} show a role's image rules. */
class PolicyImagesTest {
  private static final String POLICY =
      """
      roles:
        user:
          actions: [container_create, image_create]
          images:
            - {rule: site, repos: ["registry.site.edu/*"]}
            - {rule: hub-pinned, repos: ["docker.io/library/*"], digests: required}
            - {rule: site-made, made_by: admin}
      bindings:
        - {role: user, users: ["*"]}
      """;

  @TempDir Path dir;
  private final StringWriter out = new StringWriter();

  private int execute(String... args) {
    CommandLine cl = BerthCommand.commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(new StringWriter()));
    return cl.execute(args);
  }

  private String explain(String request) throws Exception {
    Path policy = Files.writeString(dir.resolve("p.yaml"), POLICY);
    Path req = Files.writeString(dir.resolve("req.http"), request);
    execute(
        "policy",
        "explain",
        "--user",
        "root",
        "--policy",
        policy.toString(),
        "--request",
        req.toString());
    return out.toString();
  }

  @Test
  void check_printsEachImageRule() throws Exception {
    Path policy = Files.writeString(dir.resolve("p.yaml"), POLICY);
    assertThat(execute("policy", "check", policy.toString())).isZero();
    assertThat(out.toString())
        .contains("image rule site (registry.site.edu/*) for pull, run, build")
        .contains("image rule hub-pinned (docker.io/library/* by digest) for pull, run, build")
        .contains("image rule site-made (made by an administrator) for run, build");
  }

  @Test
  void explain_refusedPull_namesTheRule() throws Exception {
    assertThat(explain("POST /v1.51/images/create?fromImage=busybox&tag=1 HTTP/1.1\r\n\r\n"))
        .contains("images:   role user allows only what its image rules allow")
        .contains("decision: deny (rule image_policy")
        .contains(
            "image rule \"hub-pinned\" of role user allows docker.io/library/busybox "
                + "only pinned by digest");
  }

  @Test
  void explain_allowedRun_namesTheRule() throws Exception {
    assertThat(
            explain(
                "POST /v1.51/containers/create HTTP/1.1\r\n\r\n"
                    + "{\"Image\":\"registry.site.edu/tool:1\"}"))
        .contains("decision: allow")
        .contains("image rule \"site\" allows running registry.site.edu/tool:1");
  }
}
