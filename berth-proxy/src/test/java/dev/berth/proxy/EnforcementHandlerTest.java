package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.Decision;
import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The enforcement step: decided once, recorded (durably for changes) before it goes on. */
class EnforcementHandlerTest {
  private static final String PRIVILEGED = "{\"Image\":\"x\",\"HostConfig\":{\"Privileged\":true}}";

  /** On network none: the default network would be the caller's own, made first (issue 13). */
  private static final String PLAIN = "{\"Image\":\"x\",\"HostConfig\":{\"NetworkMode\":\"none\"}}";

  private PipelineFixture f;

  @BeforeEach
  void start() throws IOException {
    f = new PipelineFixture();
    f.start(BodyHandler::new, EnforcementHandler::new);
  }

  @AfterEach
  void stop() throws IOException {
    f.close();
  }

  private void create(String type, String body) {
    f.send(
        "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: "
            + type
            + "\r\n"
            + "Content-Length: "
            + body.length()
            + "\r\n\r\n"
            + body);
  }

  @Test
  void privilegedCreate_refusedWith403AndRecorded() throws Exception {
    create("application/json", PRIVILEGED);
    assertThat(f.answer())
        .startsWith("HTTP/1.1 403")
        .contains("privileged containers are not allowed");
    assertThat(f.passed).isEmpty();
    assertThat(f.decisions).singleElement().isInstanceOf(Decision.Deny.class);
  }

  @Test
  void allowedCreate_passedOnOnlyOnceItsRecordIsOnDisk() throws Exception {
    create("application/json", PLAIN);
    assertThat(f.awaitPassed())
        .isInstanceOfSatisfying(
            Exchange.class,
            ex -> {
              assertThat(ex.allow).isNotNull();
              try {
                assertThat(Files.readString(f.dir.resolve("audit.jsonl")))
                    .contains("\"decisionId\":\"" + ex.enforcement.id() + "\"");
              } catch (IOException e) {
                throw new AssertionError(e);
              }
            });
  }

  @Test
  void nonJsonContentType_privilegedBodyStillJudged() throws Exception {
    // AUTHZ-03 / JSON-10: the body is judged whatever Content-Type says
    create("text/plain", PRIVILEGED);
    assertThat(f.answer()).startsWith("HTTP/1.1 403");
  }

  @Test
  void nonJsonContentType_allowedBody_daemonsOwn400() throws Exception {
    // issue 18: what moby's CheckForJSON answers, not forwarded
    create("text/plain", PLAIN);
    assertThat(f.answer())
        .startsWith("HTTP/1.1 400")
        .contains("unsupported Content-Type header (text/plain): must be 'application/json'");
    assertThat(f.passed).isEmpty();
  }

  @Test
  void unknownRoute_refusedWith403KeepingTheConnection() throws Exception {
    f.send("GET /nope HTTP/1.1\r\nHost: d\r\n\r\n");
    assertThat(f.answer())
        .startsWith("HTTP/1.1 403")
        .contains("{\"message\":\"berth: GET /nope is not an endpoint");
    assertThat(f.channel.isOpen()).isTrue();
  }
}
