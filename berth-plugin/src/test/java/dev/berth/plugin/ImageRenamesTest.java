package dev.berth.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.QueryParams;
import org.junit.jupiter.api.Test;

/** Issue 13 in plugin mode: an image rename the plugin cannot make is refused, not ignored. */
class ImageRenamesTest {
  private static final String ALICES = "berth.invalid/u1001/docker.io/library/mine";

  private static CanonicalRequest parse(String method, String target) throws Exception {
    return CanonicalRequest.parse(method, target);
  }

  private static CanonicalRequest.Body json(String text) throws Exception {
    return new CanonicalRequest.Body.Json(new ObjectMapper().readTree(text));
  }

  @Test
  void tagIntoTheCallersNamespace_sentAsTheSharedName_refused() throws Exception {
    CanonicalRequest sent = parse("POST", "/images/busybox/tag?repo=mine&tag=1");
    CanonicalRequest judged = sent.withQuery(QueryParams.parse("repo=" + ALICES + "&tag=1"));
    assertThat(ImageRenames.needed(Action.IMAGE_TAG, sent, judged)).hasValue("repo=" + ALICES);
    assertThat(ImageRenames.needed(Action.IMAGE_TAG, judged, judged)).isEmpty();
  }

  @Test
  void rmiOfTheCallersOwnTag_sentAsTheSharedName_refused() throws Exception {
    CanonicalRequest sent = parse("DELETE", "/images/mine:1");
    CanonicalRequest judged = parse("DELETE", "/images/" + ALICES + ":1");
    assertThat(ImageRenames.needed(Action.IMAGE_DELETE, sent, judged))
        .hasValue("the path /images/" + ALICES + ":1");
  }

  @Test
  void createWithTheCallersOwnImage_sentAsTheSharedName_refused() throws Exception {
    CanonicalRequest head = parse("POST", "/containers/create");
    CanonicalRequest judged = head.withBody(json("{\"Image\":\"" + ALICES + ":1\"}"));
    CanonicalRequest sent = head.withBody(json("{\"Image\":\"mine:1\"}"));
    assertThat(ImageRenames.needed(Action.CONTAINER_CREATE, sent, judged)).isPresent();
    CanonicalRequest same = head.withBody(json("{\"Image\":\"" + ALICES + ":1\"}"));
    assertThat(ImageRenames.needed(Action.CONTAINER_CREATE, same, judged)).isEmpty();
  }

  @Test
  void otherActions_neverChecked() throws Exception {
    CanonicalRequest sent = parse("POST", "/containers/web/stop");
    CanonicalRequest judged = parse("POST", "/containers/" + "a".repeat(64) + "/stop");
    assertThat(ImageRenames.needed(Action.CONTAINER_STOP, sent, judged)).isEmpty();
  }
}
