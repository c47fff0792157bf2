package dev.berth.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditCodecTest {
  private static final String TIME = "2026-11-24T22:44:45Z";

  @Test
  void encode_decision_fieldsInTheStoredOrder() throws Exception {
    AuditEvent e =
        new AuditEvent(
            "d-1",
            "allow",
            "container_create",
            "",
            1001,
            "alice",
            1001,
            42,
            -1,
            "container_create",
            "POST",
            "/containers/create",
            List.of("User set to 1001"),
            "abc",
            "CN=alice");
    assertThat(AuditCodec.encode(7, AuditChain.GENESIS, TIME, e))
        .isEqualTo(
            "{\"seq\":7,"
                + "\"prev\":\""
                + AuditChain.GENESIS
                + "\",\"time\":\""
                + TIME
                + "\",\"decisionId\":"
                + "\"d-1\",\"decision\":\"allow\",\"rule\":\"container_create\",\"principal\":{\"uid\":"
                + "1001,\"user\":\"alice\",\"gid\":1001,\"pid\":42,\"tls\":\"CN=alice\"},\"action\":"
                + "\"container_create\",\"method\":\"POST\",\"path\":\"/containers/create\","
                + "\"rewrites\":[\"User set to 1001\"],\"policy\":\"abc\"}");
  }

  @Test
  void encode_loneSurrogateInARewrite_writtenAsACharacterNotAFailureOfTheBatch() throws Exception {
    // A JSON escape such as "\ud800" in a request body reaches the record as a lone surrogate;
    // the line must still be written (a failed encode would refuse the whole batch's requests).
    AuditEvent e =
        new AuditEvent(
            "d-1",
            "deny",
            "r",
            "name \ud800\n\"x\"",
            1001,
            "alice",
            1001,
            42,
            5,
            "container_create",
            "POST",
            "/containers/create",
            List.of("\ud800"),
            "abc");
    String line = AuditCodec.encode(1, AuditChain.GENESIS, TIME, e);
    assertThat(line)
        .contains("\"reason\":\"name \ud800\\n\\\"x\\\"\"")
        .contains("\"loginUid\":5")
        .contains("\"rewrites\":[\"\ud800\"]");
    assertThat(AuditEntry.parse(line).record()).isEqualTo(e);
  }

  @Test
  void decode_decisionAndResult_giveBackTheRecordsWritten() throws Exception {
    AuditEvent e = AuditLogTest.event("alice", "/containers/x/start");
    AuditResult r = new AuditResult("d-1", 201, "abc123", 17);
    for (AuditRecord record : List.<AuditRecord>of(e, r)) {
      String line = AuditCodec.encode(3, "ff".repeat(32), TIME, record);
      AuditEntry entry = AuditEntry.parse(line);
      assertThat(entry.record()).isEqualTo(record);
      assertThat(entry.seq()).isEqualTo(3);
      assertThat(entry.prev()).isEqualTo("ff".repeat(32));
      assertThat(entry.time()).isEqualTo(TIME);
      assertThat(entry.line()).isEqualTo(line);
      assertThat(entry.hash()).isEqualTo(AuditChain.hash(line));
    }
  }

  @Test
  void decode_missingFields_readAsEmptyValuesSoTheChainCanStillBeChecked() throws Exception {
    AuditEntry entry = AuditEntry.parse("{\"decisionId\":\"d-1\"}");
    assertThat(entry.seq()).isEqualTo(-1);
    assertThat(entry.prev()).isEmpty();
    assertThat(entry.record())
        .isInstanceOfSatisfying(
            AuditEvent.class,
            e -> {
              assertThat(e.loginUid()).isEqualTo(-1);
              assertThat(e.tlsSubject()).isEmpty();
              assertThat(e.rewrites()).isEmpty();
            });
  }

  @Test
  void decode_notJson_refused() {
    assertThatThrownBy(() -> AuditEntry.parse("seq=1 prev=0")).isInstanceOf(IOException.class);
  }
}
