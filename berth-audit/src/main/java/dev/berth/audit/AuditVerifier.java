package dev.berth.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks an audit file's hash chain and names the first record that breaks it. */
public final class AuditVerifier {
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  /**
   * The outcome.
   *
   * @param records records read
   * @param head hash of the last good record (the value to compare with an anchor)
   * @param badLine 1-based line of the first bad record, or 0 when all are good
   * @param problem what is wrong with it, or ""
   */
  public record Result(long records, String head, long badLine, String problem) {
    public boolean ok() {
      return badLine == 0;
    }
  }

  private AuditVerifier() {}

  public static Result verify(Path file) throws IOException {
    String prev = AuditChain.GENESIS;
    long expected = -1;
    long line = 0;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String text;
      while ((text = in.readLine()) != null) {
        line++;
        JsonNode n;
        try {
          n = JSON.readTree(text);
        } catch (IOException e) {
          return new Result(line - 1, prev, line, "not a JSON record");
        }
        long seq = n.path("seq").asLong(-1);
        if (expected < 0) {
          expected = n.path("prev").asText().equals(AuditChain.GENESIS) ? 1 : seq;
        }
        if (seq != expected) {
          return new Result(line - 1, prev, line, "sequence " + seq + " where " + expected
              + " was expected (a record was deleted, inserted or moved)");
        }
        if (line > 1 && !n.path("prev").asText().equals(prev)) {
          return new Result(line - 1, prev, line, "its prev does not match the record before "
              + "it (that record was changed, or records were reordered)");
        }
        prev = AuditChain.hash(text);
        expected++;
      }
    }
    return new Result(line, prev, 0, "");
  }
}
