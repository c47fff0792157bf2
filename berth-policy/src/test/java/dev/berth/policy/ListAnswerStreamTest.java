package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.ROOT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.docker.DockerJson;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A container list answer mapped as a stream ({@link DockerJson#mapList}) gives the caller the same
 * bytes as the tree mapping ({@code write(mapping(parse(answer)))}), and refuses every answer the
 * tree mapping refuses.
 */
class ListAnswerStreamTest {
  private static final String ALICE_IMAGE = "berth.invalid/u1001/docker.io/library/app:1";
  private static final String BOB_IMAGE = "berth.invalid/u1002/docker.io/library/secret:2";

  /** A list as dockerd writes it: alice's containers with bob's interleaved. */
  private static final String MIXED =
      "["
          + container("/u1001_web", ALICE_IMAGE, "sha256:a1", "u1001_lab_default", 1001)
          + ","
          + container("/u1002_web", BOB_IMAGE, "sha256:b2", "u1002_bridge", 1002)
          + ","
          + container("/u1001_db", "postgres:16", "sha256:a2", "u1001_bridge", 1001)
          + ","
          + container("/u1002_secret-db", "postgres:16", "sha256:b3", "u1002_bridge", 1002)
          + ","
          + container("/u1001_web-2", BOB_IMAGE, "sha256:b2", "u1001_bridge", 1001)
          + ","
          + "{\"Names\":[\"/u1001_web-3\",\"/u1001_lab/web-3\"],\"Big\":123456789012345678901234567890,"
          + "\"F\":1.50,\"Null\":null,\"Uni\":\"\u00e9\u20ac\ud83d\ude00\"}"
          + "]";

  private static String container(String name, String image, String id, String net, int uid) {
    return "{\"Id\":\""
        + Integer.toHexString(name.hashCode())
        + "\",\"Names\":[\""
        + name
        + "\"],\"Image\":\""
        + image
        + "\",\"ImageID\":\""
        + id
        + "\",\"Command\":\"sh\",\"Created\":1733500000,\"Labels\":{\"dev.berth.owner.uid\":\""
        + uid
        + "\"},\"State\":\"running\",\"HostConfig\":{\"NetworkMode\":\""
        + net
        + "\"},\"NetworkSettings\":{\"Networks\":{\""
        + net
        + "\":{\"NetworkID\":\"n\",\"IPAddress\":\"172.18.0.2\"}}},"
        + "\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"u"
        + uid
        + "_data\",\"Destination\":\"/d\"}]}";
  }

  private static FollowUp.MapNames mapping(Principal who, String target) {
    Decision d = Fixtures.decide(Fixtures.ENGINE, Fixtures.objects(), who, "GET", target, null);
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return (FollowUp.MapNames) ((Decision.Allow) d).followUp();
  }

  private static String filtered(String filters) {
    return "filters=" + URLEncoder.encode(filters, StandardCharsets.UTF_8);
  }

  private static byte[] tree(FollowUp.MapNames m, byte[] answer) throws RequestException {
    return DockerJson.write(m.mapping().apply(DockerJson.parse(answer)));
  }

  private static byte[] stream(FollowUp.MapNames m, byte[] answer) throws RequestException {
    ListElements elements = m.elements();
    assertThat(elements).as("the container list is mapped element by element").isNotNull();
    return DockerJson.mapList(answer, elements, m.mapping());
  }

  private static String same(FollowUp.MapNames m, String answer) throws RequestException {
    byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
    byte[] fromTree = tree(m, bytes);
    assertThat(new String(stream(m, bytes), StandardCharsets.UTF_8))
        .isEqualTo(new String(fromTree, StandardCharsets.UTF_8));
    return new String(fromTree, StandardCharsets.UTF_8);
  }

  @Test
  void mixedList_sameBytesAsTheTree_inTheCallersNames() throws Exception {
    String shown = same(mapping(ALICE, "/containers/json?all=1"), MIXED);
    assertThat(shown)
        .contains("\"/web\"", "\"/db\"", "\"app:1\"", "\"lab_default\"", "\"bridge\"")
        .contains("\"Name\":\"data\"")
        .contains("123456789012345678901234567890")
        .doesNotContain("u1001_", ALICE_IMAGE, BOB_IMAGE);
  }

  @Test
  void nameFilter_keepsWhatTheTreeKeeps() throws Exception {
    FollowUp.MapNames m =
        mapping(ALICE, "/containers/json?all=1&" + filtered("{\"name\":[\"^web\"]}"));
    String shown = same(m, MIXED);
    assertThat(shown).contains("\"/web\"", "\"/web-2\"", "\"/web-3\"").doesNotContain("\"/db\"");
    assertThat(shown).as("bob's /u1002_web is not alice's web").doesNotContain("u1002_web");
  }

  @Test
  void nameFilterWithLimit_cutsWhereTheTreeCuts() throws Exception {
    for (int limit = 1; limit <= 4; limit++) {
      FollowUp.MapNames m =
          mapping(
              ALICE, "/containers/json?limit=" + limit + "&" + filtered("{\"name\":[\"web\"]}"));
      String shown = same(m, MIXED);
      assertThat(DockerJson.parse(shown.getBytes(StandardCharsets.UTF_8)).size())
          .isEqualTo(
              Math.min(limit, 4)); // bob's /u1002_web too: the daemon's label filter keeps it out
    }
  }

  @Test
  void limitWithoutNameFilter_isTheDaemons_notCut() throws Exception {
    String shown = same(mapping(ALICE, "/containers/json?limit=1"), MIXED);
    assertThat(DockerJson.parse(shown.getBytes(StandardCharsets.UTF_8)).size()).isEqualTo(6);
  }

  @Test
  void emptyAndOddLists_sameAsTheTree() throws Exception {
    FollowUp.MapNames m = mapping(ALICE, "/containers/json?" + filtered("{\"name\":[\"web\"]}"));
    FollowUp.MapNames all = mapping(ALICE, "/containers/json");
    for (String answer :
        List.of(
            "[]",
            " [ ] ",
            "[null]",
            "[1,\"x\",true,[]]",
            "[{}]",
            "{\"Names\":[\"/u1001_web\"],\"Image\":\"" + ALICE_IMAGE + "\"}",
            "{\"message\":\"not a list\"}",
            "\"text\"")) {
      same(m, answer);
      same(all, answer);
    }
  }

  @Test
  void malformedAnswers_refusedByBothPaths() {
    FollowUp.MapNames m = mapping(ALICE, "/containers/json?all=1");
    List<byte[]> bad = new ArrayList<>();
    for (String s :
        List.of(
            "",
            "[",
            "[{\"Names\":[\"/u1001_web\"]}",
            "[{\"Names\":[\"/u1001_web\"],\"Names\":[\"/u1002_web\"]}]",
            "[{\"Names\":[\"/u1001_web\"]},{\"Id\":\"1\",\"HostConfig\":{\"A\":1,\"A\":2}}]",
            "[{\"Names\":[\"/u1001_web\"]}] []",
            "[{\"Names\":[\"/u1001_web\"]}] x",
            "[{\"N\":1e66706667422}]",
            "[{\"N\":NaN}]",
            "[/* c */ {}]",
            "[{\"Names\":[\"/u1001_web\"]},]",
            "[{'Names':1}]")) {
      bad.add(s.getBytes(StandardCharsets.UTF_8));
    }
    bad.add(
        new byte[] {'[', '{', '"', 'N', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}', ']'});
    bad.add(
        new byte[] {
          '[', '{', '"', 'N', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}', ']'
        });
    for (byte[] answer : bad) {
      String text = new String(answer, StandardCharsets.ISO_8859_1);
      assertThatThrownBy(() -> tree(m, answer)).as(text).isInstanceOf(RequestException.class);
      assertThatThrownBy(() -> stream(m, answer)).as(text).isInstanceOf(RequestException.class);
    }
  }

  @Test
  void duplicateKeyAfterTheLimit_stillRefused() {
    FollowUp.MapNames m =
        mapping(ALICE, "/containers/json?limit=1&" + filtered("{\"name\":[\"web\"]}"));
    byte[] answer =
        "[{\"Names\":[\"/u1001_web\"]},{\"Names\":[\"/u1001_web-2\"],\"Id\":\"a\",\"Id\":\"b\"}]"
            .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> tree(m, answer)).isInstanceOf(RequestException.class);
    assertThatThrownBy(() -> stream(m, answer)).isInstanceOf(RequestException.class);
  }

  @Test
  void administrator_noMapping() {
    Decision d =
        Fixtures.decide(Fixtures.ENGINE, Fixtures.objects(), ROOT, "GET", "/containers/json", null);
    assertThat(((Decision.Allow) d).followUp()).isNotInstanceOf(FollowUp.MapNames.class);
  }
}
