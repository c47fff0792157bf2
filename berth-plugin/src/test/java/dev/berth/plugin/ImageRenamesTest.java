package dev.berth.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.QueryParams;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Issue 13 in plugin mode: an image rename the plugin cannot make is refused, not ignored. */
class ImageRenamesTest {
  private static final String ALICES = "berth.invalid/u1001/docker.io/library/mine";

  private static CanonicalRequest parse(String method, String target) throws Exception {
    return CanonicalRequest.parse(method, target);
  }

  @Test
  void tagIntoTheCallersNamespace_sentAsTheSharedName_refused() throws Exception {
    CanonicalRequest sent = parse("POST", "/images/busybox/tag?repo=mine&tag=1");
    CanonicalRequest judged = sent.withQuery(QueryParams.parse("repo=" + ALICES + "&tag=1"));
    assertThat(ImageRenames.needed(Action.IMAGE_TAG, sent, judged, new byte[0]))
        .hasValue("repo=" + ALICES);
    assertThat(ImageRenames.needed(Action.IMAGE_TAG, judged, judged, new byte[0])).isEmpty();
  }

  @Test
  void rmiOfTheCallersOwnTag_sentAsTheSharedName_refused() throws Exception {
    CanonicalRequest sent = parse("DELETE", "/images/mine:1");
    CanonicalRequest judged = parse("DELETE", "/images/" + ALICES + ":1");
    assertThat(ImageRenames.needed(Action.IMAGE_DELETE, sent, judged, new byte[0]))
        .hasValue("the path /images/" + ALICES + ":1");
  }

  @Test
  void createWithTheCallersOwnImage_sentAsTheSharedName_refused() throws Exception {
    CanonicalRequest sent = parse("POST", "/containers/create");
    CanonicalRequest judged = sent.withBody(new CanonicalRequest.Body.Json(
        new ObjectMapper().readTree("{\"Image\":\"" + ALICES
            + ":1\"}")));
    byte[] body = "{\"Image\":\"mine:1\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(ImageRenames.needed(Action.CONTAINER_CREATE, sent, judged, body)).isPresent();
    byte[] same = ("{\"Image\":\"" + ALICES + ":1\"}").getBytes(StandardCharsets.UTF_8);
    assertThat(ImageRenames.needed(Action.CONTAINER_CREATE, sent, judged, same)).isEmpty();
  }

  @Test
  void otherActions_neverChecked() throws Exception {
    CanonicalRequest sent = parse("POST", "/containers/web/stop");
    CanonicalRequest judged = parse("POST", "/containers/" + "a".repeat(64) + "/stop");
    assertThat(ImageRenames.needed(Action.CONTAINER_STOP, sent, judged, new byte[0])).isEmpty();
  }
}
