package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.docker.DockerJson;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A list answer read as sparse elements (only what the rule reads as nodes, the rest written back
 * from the daemon's bytes: {@link ListElements.Reads}) gives exactly the tree form's bytes, also
 * where the daemon's bytes are not what Jackson writes (escapes, floats, {@code -0}, white space,
 * code points above U+FFFF), and refuses every answer the tree form refuses, also for faults inside
 * values the rule never reads and inside elements it drops.
 */
class SparseListAnswerTest {
  private static final String ALICE_IMAGE = "berth.invalid/u1001/docker.io/library/app:1";

  private static FollowUp.MapNames mapping(String target) {
    Decision d = Fixtures.decide(Fixtures.ENGINE, Fixtures.objects(), ALICE, "GET", target, null);
    assertThat(d).isInstanceOf(Decision.Allow.class);
    FollowUp.MapNames m = (FollowUp.MapNames) ((Decision.Allow) d).followUp();
    assertThat(m.elements()).isNotNull();
    assertThat(m.elements().reads()).isNotEqualTo(ListElements.Reads.ALL);
    return m;
  }

  private static final FollowUp.MapNames ALL = mapping("/containers/json?all=1");

  private static String byName(String regex) {
    return "/containers/json?all=1&filters="
        + URLEncoder.encode("{\"name\":[\"" + regex + "\"]}", StandardCharsets.UTF_8);
  }

  private static byte[] tree(FollowUp.MapNames m, byte[] answer) throws RequestException {
    return DockerJson.write(m.mapping().apply(DockerJson.parse(answer)));
  }

  private static byte[] sparse(FollowUp.MapNames m, byte[] answer) throws RequestException {
    return DockerJson.mapList(answer, m.elements(), m.mapping());
  }

  private static String same(FollowUp.MapNames m, String answer) throws RequestException {
    byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
    String fromTree = new String(tree(m, bytes), StandardCharsets.UTF_8);
    assertThat(new String(sparse(m, bytes), StandardCharsets.UTF_8)).isEqualTo(fromTree);
    return fromTree;
  }

  /** A container as dockerd 28 lists it, with {@code extra} fields first. */
  private static String container(String name, String extra, String net) {
    return "{"
        + extra
        + "\"Id\":\"c0ffee\",\"Names\":[\""
        + name
        + "\"],\"Image\":\""
        + ALICE_IMAGE
        + "\",\"ImageID\":\"sha256:a1\",\"Command\":\"sh -c 'sleep 3600'\",\"Created\":1765065600,"
        + "\"Ports\":[{\"PrivatePort\":80,\"Type\":\"tcp\"}],"
        + "\"Labels\":{\"dev.berth.owner.uid\":\"1001\"},\"State\":\"running\","
        + "\"Status\":\"Up 2 hours\",\"HostConfig\":{\"NetworkMode\":\""
        + net
        + "\"},\"NetworkSettings\":{\"Networks\":{\""
        + net
        + "\":{\"IPAMConfig\":null,\"Links\":null,\"GwPriority\":0,\"IPPrefixLen\":16,"
        + "\"IPAddress\":\"172.17.0.2\",\"DNSNames\":null}}},\"Mounts\":[{\"Type\":\"volume\","
        + "\"Name\":\"u1001_data\",\"Source\":\"\",\"Destination\":\"/data\",\"RW\":true}]}";
  }

  @Test
  void realisticList_renamedAndUnreadValuesAsTheDaemonWroteThem() throws Exception {
    String shown =
        same(
            ALL,
            "["
                + container("/u1001_web", "", "u1001_bridge")
                + ","
                + container("/u1001_db", "", "u1001_lab_default")
                + "]\n");
    assertThat(shown)
        .contains("\"Names\":[\"/web\"]", "\"Names\":[\"/db\"]", "\"Image\":\"app:1\"")
        .contains("\"NetworkMode\":\"bridge\"", "\"Networks\":{\"bridge\":{\"IPAMConfig\":null")
        .contains("\"lab_default\"", "\"Name\":\"data\"", "\"Command\":\"sh -c 'sleep 3600'\"")
        .doesNotContain("u1001_");
  }

  @Test
  void unreadValuesJacksonWritesOtherwise_writtenAsTheTreeWritesThem() throws Exception {
    for (String extra :
        List.of(
            "\"Cmd\":\"a \\u0026\\u0026 b \\\"q\\\" \\/ \\n \\u00e9 \\ud83d\\ude00\",",
            "\"Emoji\":\"\ud83d\ude00 and \u00e9\u20ac\",",
            "\"F\":[1.50,1e5,-0.0,100.0,1E-7,0.1,-2.5e+3],",
            "\"Z\":-0,\"Neg\":-12,\"Big\":123456789012345678901234567890,",
            "\"Labels2\":{ \"a\" : [ 1 , 2 ] ,\n\t\"b\":{\"c\":null} },",
            "\"Nested\":{\"x\":{\"y\":[{\"z\":\"\\t\"}]}},",
            "\"Empty\":{},\"E2\":[],\"T\":true,\"N\":null,")) {
      same(ALL, "[" + container("/u1001_web", extra, "u1001_bridge") + "]");
    }
  }

  @Test
  void prettyPrintedAnswer_sameAsTheTree() throws Exception {
    String pretty =
        DockerJson.mapper()
            .writerWithDefaultPrettyPrinter()
            .writeValueAsString(
                DockerJson.parse(
                    ("[" + container("/u1001_web", "", "u1001_bridge") + "]")
                        .getBytes(StandardCharsets.UTF_8)));
    assertThat(pretty).contains("\n  ");
    same(ALL, pretty);
  }

  @Test
  void twoNetworksShownUnderOneName_mergedAsTheTreeMergesThem() throws Exception {
    // the caller's default network and the daemon's bridge both read "bridge" to the caller
    String c =
        "{\"Names\":[\"/u1001_web\"],\"NetworkSettings\":{\"Networks\":{"
            + "\"u1001_bridge\":{\"IPAddress\":\"172.18.0.2\"},\"bridge\":{\"IPAddress\":\"172.17.0.2\"},"
            + "\"u1001_x\":{\"IPAddress\":\"10.0.0.2\"},\"x\":{\"IPAddress\":\"10.1.0.2\"}}}}";
    String shown = same(ALL, "[" + c + "]");
    assertThat(shown).contains("\"bridge\":{\"IPAddress\":\"172.17.0.2\"}").doesNotContain("u1001");
  }

  @Test
  void oddShapesOfReadFields_sameAsTheTree() throws Exception {
    for (String c :
        List.of(
            "{\"Names\":[\"/u1001_a\",7,null,true,{\"x\":1},[\"/u1001_b\"]]}",
            "{\"Names\":\"/u1001_a\",\"Name\":\"u1001_a\"}",
            "{\"Name\":\"u1001_vol\",\"Mountpoint\":\"/v\",\"Labels\":{}}",
            "{\"Names\":[\"/u1001_a\"],\"Mounts\":{\"m\":{\"Type\":\"volume\",\"Name\":\"u1001_v\"}}}",
            "{\"Names\":[\"/u1001_a\"],\"Mounts\":[{\"Name\":\"u1001_v\",\"Type\":\"volume\"},"
                + "{\"Type\":\"bind\",\"Name\":\"u1001_w\"},7,{\"Type\":1,\"Name\":\"u1001_z\"}]}",
            "{\"Names\":[\"/u1001_a\"],\"HostConfig\":[\"u1001_bridge\"]}",
            "{\"Names\":[\"/u1001_a\"],\"HostConfig\":{\"NetworkMode\":7,"
                + "\"Binds\":[\"u1001_v:/d\",\"/home:/h\",3]}}",
            "{\"Names\":[\"/u1001_a\"],\"NetworkSettings\":\"u1001_bridge\"}",
            "{\"Names\":[\"/u1001_a\"],\"NetworkSettings\":{\"Networks\":[\"u1001_bridge\"]}}",
            "{\"Names\":[\"/u1001_a\"],\"ImageID\":7,\"Image\":\"" + ALICE_IMAGE + "\"}",
            "{\"Names\":[\"/u1001_a\"],\"Image\":\"" + ALICE_IMAGE + "\",\"ImageID\":null}",
            "{\"Names\":[\"/u1001_a\"],\"Config\":{\"Image\":\"" + ALICE_IMAGE + "\"}}",
            "{\"Name\":\"u1001_net\",\"IPAM\":{\"Driver\":\"default\"},"
                + "\"Containers\":{\"c1\":{\"Name\":\"u1001_web\"},\"c2\":7}}",
            "{\"Name\":\"u1001_bridge\",\"EnableIPv6\":false}")) {
      same(ALL, "[" + c + "]");
      same(ALL, "[" + c + "," + c + "]");
    }
  }

  @Test
  void nameFilterAndLimit_keepAndCutAsTheTree() throws Exception {
    String answer =
        "["
            + container("/u1001_web", "", "u1001_bridge")
            + ","
            + container("/u1001_db", "\"Weird\":\"\\u003c\",", "u1001_bridge")
            + ","
            + container("/u1001_web-2", "\"F\":2.50,", "u1001_bridge")
            + "]";
    assertThat(same(mapping(byName("^web")), answer))
        .contains("\"/web\"", "\"/web-2\"")
        .doesNotContain("\"/db\"");
    assertThat(same(mapping(byName("db")), answer)).contains("\"/db\"").doesNotContain("/web");
    FollowUp.MapNames limited =
        mapping(
            "/containers/json?limit=1&filters="
                + URLEncoder.encode("{\"name\":[\"web\"]}", StandardCharsets.UTF_8));
    assertThat(same(limited, answer)).contains("\"/web\"").doesNotContain("/web-2");
  }

  @Test
  void faultsInValuesTheRuleDoesNotRead_refusedByBothPaths() {
    FollowUp.MapNames web = mapping(byName("^web$"));
    String kept = container("/u1001_web", "", "u1001_bridge");
    for (String fault :
        List.of(
            "\"Labels2\":{\"a\":1,\"a\":2},",
            "\"NetworkSettings2\":{\"Networks\":{\"n\":{\"X\":1,\"X\":1}}},",
            "\"F\":1e66706667422,",
            "\"F\":[1,2e99999999999],",
            "\"S\":\"bad \\x escape\",",
            "\"S\":\"raw \u0001 control\",",
            "\"N\":01,",
            "\"N\":-,",
            "\"N\":NaN,",
            "\"N\":+1,",
            "\"T\":tru,",
            "\"A\":[1,],",
            "\"O\":{\"a\" 1},")) {
      for (String answer :
          List.of(
              "[" + container("/u1001_web", fault, "u1001_bridge") + "]",
              "[" + container("/u1001_db", fault, "u1001_bridge") + "," + kept + "]",
              "[" + kept + "," + container("/u1001_db", fault, "u1001_bridge") + "]")) {
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> tree(web, bytes)).as(answer).isInstanceOf(RequestException.class);
        assertThatThrownBy(() -> sparse(web, bytes))
            .as(answer)
            .isInstanceOf(RequestException.class);
        assertThatThrownBy(() -> sparse(ALL, bytes))
            .as(answer)
            .isInstanceOf(RequestException.class);
      }
    }
  }

  @Test
  void invalidUtf8InAnUnreadValue_refused() {
    byte[] prefix = "[{\"Names\":[\"/u1001_web\"],\"Command\":\"".getBytes(StandardCharsets.UTF_8);
    for (byte[] bad :
        List.of(
            new byte[] {(byte) 0xC0, (byte) 0xAF},
            new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
            new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            new byte[] {(byte) 0xE2, (byte) 0x82})) {
      byte[] answer = new byte[prefix.length + bad.length + 3];
      System.arraycopy(prefix, 0, answer, 0, prefix.length);
      System.arraycopy(bad, 0, answer, prefix.length, bad.length);
      System.arraycopy(new byte[] {'"', '}', ']'}, 0, answer, prefix.length + bad.length, 3);
      assertThatThrownBy(() -> sparse(ALL, answer)).isInstanceOf(RequestException.class);
      assertThatThrownBy(() -> tree(ALL, answer)).isInstanceOf(RequestException.class);
    }
  }

  @Test
  void networkListOfCustomNetworks_mappedElementByElement_sameAsTheTree() throws Exception {
    FollowUp.MapNames m =
        mapping(
            "/networks?filters="
                + URLEncoder.encode("{\"type\":{\"custom\":true}}", StandardCharsets.UTF_8));
    String shown =
        same(
            m,
            "[{\"Name\":\"u1001_lab_default\",\"Id\":\"n1\",\"Created\":\"2026-12-07T09:00:00.1Z\","
                + "\"Scope\":\"local\",\"Driver\":\"bridge\",\"EnableIPv6\":false,\"IPAM\":{\"Driver\":"
                + "\"default\",\"Options\":null,\"Config\":[{\"Subnet\":\"172.18.0.0/16\"}]},"
                + "\"Internal\":false,\"Containers\":{},\"Options\":{},\"Labels\":"
                + "{\"dev.berth.owner.uid\":\"1001\"}},{\"Name\":\"u1001_bridge\",\"IPAM\":{}}]");
    assertThat(shown).contains("\"lab_default\"", "\"Name\":\"bridge\"").doesNotContain("u1001_");
  }

  @Test
  void volumeList_anObject_mappedWholeAsTheTree() throws Exception {
    FollowUp.MapNames m = mapping("/volumes");
    String shown =
        same(
            m,
            "{\"Volumes\":[{\"Name\":\"u1001_data\",\"Driver\":\"local\",\"Size\":1.5}],"
                + "\"Warnings\":null}");
    assertThat(shown).contains("\"Name\":\"data\"");
  }
}
