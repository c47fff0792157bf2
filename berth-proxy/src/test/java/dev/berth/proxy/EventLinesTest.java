package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.Decision;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The event stream renamed line by line as it passes (issue 13). */
class EventLinesTest {
  private static final Decision.FollowUp.MapEvents UPPER =
      new Decision.FollowUp.MapEvents(
          e -> ((ObjectNode) e.deepCopy()).put("name", e.path("name").asText().toUpperCase()));

  private static String text(HttpContent c) {
    String s = c.content().toString(StandardCharsets.UTF_8);
    c.release();
    return s;
  }

  private static HttpContent part(String s) {
    return new DefaultHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
  }

  @Test
  void events_splitAcrossParts_eachMappedWhenItsLineEnds() {
    EventLines lines = new EventLines(UPPER.event());
    assertThat(text(lines.map(part("{\"name\":\"a\"}\n{\"na")))).isEqualTo("{\"name\":\"A\"}\n");
    assertThat(text(lines.map(part("me\":\"b\"}\n")))).isEqualTo("{\"name\":\"B\"}\n");
  }

  @Test
  void lineNotJson_passesUnchanged_andTheEndFlushesWhatIsLeft() {
    EventLines lines = new EventLines(UPPER.event());
    assertThat(text(lines.map(part("not json}\n")))).isEqualTo("not json}\n");
    assertThat(text(lines.map(part("{\"name\":")))).isEmpty();
    HttpContent end = lines.map(new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER));
    assertThat(end).isInstanceOf(LastHttpContent.class);
    assertThat(text(end)).isEqualTo("{\"name\":");
  }

  @Test
  void progressStream_everyTextOfEachLine_renamed() {
    EventLines lines =
        new EventLines(
            EventLines.texts(t -> t.replace("berth.invalid/u1001/docker.io/library/", "")));
    assertThat(
            text(
                lines.map(
                    part(
                        "{\"stream\":\"Loaded image: berth.invalid/u1001/docker.io/library/app:1\\n\"}\r\n"
                            + "{\"errorDetail\":{\"message\":\"No such image:"
                            + " berth.invalid/u1001/docker.io/library/b:2\"},"
                            + "\"error\":\"No such image: berth.invalid/u1001/docker.io/library/b:2\","
                            + "\"aux\":{\"Tags\":[\"berth.invalid/u1001/docker.io/library/c:3\"]}}\n"))))
        .isEqualTo(
            "{\"stream\":\"Loaded image: app:1\\n\"}\r\n"
                + "{\"errorDetail\":{\"message\":\"No such image: b:2\"},"
                + "\"error\":\"No such image: b:2\",\"aux\":{\"Tags\":[\"c:3\"]}}\n");
  }
}
