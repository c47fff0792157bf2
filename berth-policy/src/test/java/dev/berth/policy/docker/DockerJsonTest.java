package dev.berth.policy.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.RequestException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DockerJsonTest {

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(
      strings = {
        "{\"Image\":\"a\",\"Image\":\"b\"}", // exact duplicate
        "{\"Image\":\"a\",\"image\":\"b\"}", // case-variant duplicate
        "{\"HostConfig\":{\"Privileged\":false,\"PRIVILEGED\":true}}", // nested
        "{\"HostConfig\":{\"CapAdd\":[],\"capadd\":[\"ALL\"]}}",
        "{\"Image\":\"a\"} {\"Image\":\"b\"}", // trailing data
        "{\"Image\":\"a\"}x",
        "{\"Tty\":\"true\"}", // wrong type: string for bool
        "{\"StopTimeout\":1.5}", // fraction into an integer
        "{\"StopTimeout\":1e3}", // exponent into an integer
        "{\"Memory\":3333350e66706667422}", // a number Jackson cannot hold (fuzzing)
        "{\"HostConfig\":[]}", // array for a struct
        "{\"Env\":\"A=1\"}", // string for a list (not a StrSlice)
        "[]",
        "null",
        "\"x\"",
        "",
        "{\"Image\":\"a\" /*c*/}"
      })
  void read_ambiguousOrWrongBody_refused(String body) {
    assertThatThrownBy(() -> DockerJson.read(b(body), DockerSchemas.CONTAINER_CREATE))
        .isInstanceOf(RequestException.class);
  }

  @Test
  void read_invalidUtf8_refused() {
    byte[] body = {'{', '"', 'I', 'm', 'a', 'g', 'e', '"', ':', '"', (byte) 0xff, '"', '}'};
    assertThatThrownBy(() -> DockerJson.read(body, DockerSchemas.CONTAINER_CREATE))
        .isInstanceOf(RequestException.class);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  // a stray byte, an overlong '/', a surrogate, above U+10FFFF, truncated, a lone continuation
  @ValueSource(strings = {"ff", "c0af", "eda080", "f4908080", "e282", "80"})
  void read_invalidUtf8InAKey_refused(String hex) {
    byte[] bad = HexFormat.of().parseHex(hex);
    for (String where :
        new String[] {
          "{\"X%s\":1}", "{\"HostConfig\":{\"X%s\":1}}", "{\"Labels\":{\"X%s\":\"v\"}}"
        }) {
      String[] parts = where.split("%s");
      byte[] pre = b(parts[0]);
      byte[] post = b(parts[1]);
      byte[] body = new byte[pre.length + bad.length + post.length];
      System.arraycopy(pre, 0, body, 0, pre.length);
      System.arraycopy(bad, 0, body, pre.length, bad.length);
      System.arraycopy(post, 0, body, pre.length + bad.length, post.length);
      assertThatThrownBy(() -> DockerJson.read(body, DockerSchemas.CONTAINER_CREATE))
          .as(where + " " + hex)
          .isInstanceOf(RequestException.class);
    }
  }

  @Test
  void read_nullEmptyAndAbsent_keptDistinct() throws Exception {
    var out = DockerJson.read(b("{\"Env\":null,\"Cmd\":[]}"), DockerSchemas.CONTAINER_CREATE);
    assertThat(out.get("Env").isNull()).isTrue();
    assertThat(out.get("Cmd").isArray()).isTrue();
    assertThat(out.has("Entrypoint")).isFalse();
  }

  @Test
  void read_labelsMap_keysKeptExactly() throws Exception {
    var out =
        DockerJson.read(
            b("{\"Labels\":{\"a\":\"1\",\"A\":\"2\"}}"), DockerSchemas.CONTAINER_CREATE);
    assertThat(out.get("Labels").size()).isEqualTo(2);
  }

  @Test
  void fold_joinsGoSimpleFoldPairs() {
    assertThat(DockerJson.fold("Ho\u017ftConfig")).isEqualTo(DockerJson.fold("HostConfig"));
    assertThat(DockerJson.fold("\u212aey")).isEqualTo(DockerJson.fold("key"));
  }
}
