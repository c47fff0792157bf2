package dev.berth.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CanonicalRequestTest {

  @Test
  void parse_versionedPath_stripsAndRemembersVersion() throws Exception {
    CanonicalRequest r = CanonicalRequest.parse("GET", "/v1.51/containers/abc/json?size=1");
    assertThat(r.apiVersion()).isEqualTo("1.51");
    assertThat(r.path()).isEqualTo("/containers/abc/json");
    assertThat(r.query().bool("size")).isTrue();
    assertThat(r.target()).isEqualTo("/v1.51/containers/abc/json?size=1");
  }

  /** Found by fuzzing: U+0085 and the line separators ended Java's '.', hiding the prefix. */
  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"\u0085", "\u2028", "\u2029", "\r"})
  void parse_lineSeparatorAfterVersion_versionStillRead(String separator) throws Exception {
    String target = "/v1.41/volumes/a" + separator;
    if (separator.equals("\r")) {
      assertThatThrownBy(() -> CanonicalRequest.parse("GET", target))
          .isInstanceOf(RequestException.class);
      return;
    }
    CanonicalRequest r = CanonicalRequest.parse("GET", target);
    assertThat(r.apiVersion()).isEqualTo("1.41");
    assertThat(CanonicalRequest.parse("GET", r.target()).apiVersion()).isEqualTo("1.41");
    assertThatThrownBy(() -> CanonicalRequest.parse("GET", "/v76./" + separator + "x"))
        .hasMessageContaining("malformed API version prefix");
  }

  @Test
  void parse_percentEncodedSegment_decodedOnceAndReEncoded() throws Exception {
    CanonicalRequest r = CanonicalRequest.parse("GET", "/images/my%252Fimage/json");
    assertThat(r.segments()).containsExactly("images", "my%2Fimage", "json");
    assertThat(r.target()).isEqualTo("/images/my%252Fimage/json");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(
      strings = {
        "http://docker/containers/create", // PROTO-16 absolute form
        "*",
        "/containers/../_ping", // dot segment
        "/containers/./json",
        "/containers//json", // empty segment
        "/containers/json/", // trailing slash
        "/containers/a%2Fb/json", // encoded slash
        "/containers/a%2fb/json",
        "/containers/a%00/json", // NUL
        "/containers/a%5Cb/json",
        "/containers/a\\b/json", // raw backslash: refused as its encoded form is (fuzzing)
        "/containers/%2e%2e/json", // encoded dot segment
        "/containers/a%\u06F2fb/json", // a Unicode digit in an escape (U+06F2 read as 2: fuzzing)
        "/containers/a%zz/json", // bad escape
        "/containers/a%4/json",
        "/containers/a%09b/json", // tab
        "/v1..2/containers/json", // malformed version
        "/v1.47.0/containers/create", // PATH-01: three-part version
        "/v1.47.9.9/containers/create",
        "/_ping?a=1&a=2", // repeated parameter
        "/_ping?a=1;b=2", // semicolon separator
        "/containers/json#frag"
      })
  void parse_ambiguousTarget_refused(String target) {
    assertThatThrownBy(() -> CanonicalRequest.parse("GET", target))
        .isInstanceOf(RequestException.class);
  }

  @Test
  void parse_spaceInASegment_oneSegmentForwardedReEncoded() throws Exception {
    CanonicalRequest r = CanonicalRequest.parse("DELETE", "/v1.51/networks/a%20b");
    assertThat(r.path()).isEqualTo("/networks/a b");
    assertThat(r.target()).isEqualTo("/v1.51/networks/a%20b");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"PRI", "CONNECT", "TRACE", "OPTIONS", "PATCH", "get"})
  void parse_methodOutsideDockerApi_refused(String method) {
    assertThatThrownBy(() -> CanonicalRequest.parse(method, "/_ping"))
        .isInstanceOf(RequestException.class);
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
    "1,true",
    "true,true",
    "True,true",
    "yes,true",
    "0,false",
    "false,false",
    "FALSE,false",
    "no,false",
    "none,false",
    "' 0 ',false",
    "'',false"
  })
  void bool_followsDockerSemantics(String value, boolean expected) throws Exception {
    QueryParams q = QueryParams.parse("x=" + URLEncoder.encode(value, "UTF-8"));
    assertThat(q.bool("x")).isEqualTo(expected);
  }

  @Test
  void queryParams_editAndPrint() throws Exception {
    QueryParams q = QueryParams.parse("a=1&flag&&b=x+y");
    assertThat(q.get("flag")).contains("");
    assertThat(q.get("b")).contains("x y");
    assertThat(q.with("c", "3").get("c")).contains("3");
    assertThat(q.without("a").has("a")).isFalse();
    assertThat(q.without("zzz")).isSameAs(q);
    assertThat(q.bool("missing")).isFalse();
    assertThat(q).hasToString("a=1&flag=&b=x+y");
    assertThat(QueryParams.parse("")).isSameAs(QueryParams.empty());
    assertThatThrownBy(() -> QueryParams.parse(";a=1")).isInstanceOf(RequestException.class);
    assertThatThrownBy(() -> QueryParams.parse("=1")).isInstanceOf(RequestException.class);
  }

  @Test
  void queryParams_listKeys_keptInOrderAndAllForwarded() throws Exception {
    // docker save a b, docker commit -c X -c Y: the daemon reads r.Form["names"], r.Form["changes"]
    QueryParams q = QueryParams.parse("names=a&names=b&changes=ENV+A%3D1&changes=LABEL+x%3Dy");
    assertThat(q.getAll("names")).containsExactly("a", "b");
    assertThat(q.getAll("changes")).containsExactly("ENV A=1", "LABEL x=y");
    assertThat(q).hasToString("names=a&names=b&changes=ENV+A%3D1&changes=LABEL+x%3Dy");
    assertThat(q.with("names", "c").getAll("names")).containsExactly("c");
    assertThat(q.without("changes").getAll("changes")).isEmpty();
    assertThat(q.getAll("missing")).isEmpty();
  }

  @Test
  void queryParams_repeatedSingleValueKey_refused() {
    // the daemon takes the first value (FormValue): judging another would be a smuggle
    assertThatThrownBy(() -> QueryParams.parse("name=a&name=b"))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("more than once");
  }

  @Test
  void parse_rootAndEncodedCharacters() throws Exception {
    CanonicalRequest r = CanonicalRequest.parse("GET", "/");
    assertThat(r.target()).isEqualTo("/");
    r = CanonicalRequest.parse("GET", "/v1.51/volumes/a~b_c.d-e%40f%3A0?x=%2F");
    assertThat(r.target()).isEqualTo("/v1.51/volumes/a~b_c.d-e@f:0?x=%2F");
    r = CanonicalRequest.parse("GET", "/volumes/%C3%A9");
    assertThat(r.target()).isEqualTo("/volumes/%C3%A9");
    assertThatThrownBy(() -> CanonicalRequest.parse("GET", "/volumes/a%7F"))
        .isInstanceOf(RequestException.class);
    assertThatThrownBy(() -> CanonicalRequest.parse("GET", "/volumes/%FF"))
        .isInstanceOf(RequestException.class);
    assertThatThrownBy(() -> CanonicalRequest.parse("PRI\u0001", "/"))
        .hasMessageContaining("(unprintable)");
    assertThatThrownBy(() -> CanonicalRequest.parse("VERYLONGMETHODNAME", "/"))
        .hasMessageContaining("(unprintable)");
    assertThatThrownBy(() -> CanonicalRequest.parse("PATCH", "/")).hasMessageContaining("PATCH");
  }

  @Test
  void encode_reserializesQuery() throws Exception {
    QueryParams q = QueryParams.parse("filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D&all=1");
    assertThat(q.get("filters")).contains("{\"label\":[\"a=b\"]}");
    assertThat(QueryParams.parse(q.encode()).asMap()).isEqualTo(q.asMap());
  }

  @Test
  void parse_unreservedCharactersAtTheirRangeEnds_forwardedUnencoded() throws Exception {
    CanonicalRequest r = CanonicalRequest.parse("GET", "/containers/azAZ09-._~:@!/json");
    assertThat(r.segments()).containsExactly("containers", "azAZ09-._~:@!", "json");
    assertThat(r.target()).isEqualTo("/containers/azAZ09-._~:@%21/json");
    CanonicalRequest around = CanonicalRequest.parse("GET", "/containers/%60%7B%40%5B/json");
    assertThat(around.target()).isEqualTo("/containers/%60%7B@%5B/json");
  }

  @Test
  void withSegment_pathInsteadOfAName_refused() throws Exception {
    CanonicalRequest r = CanonicalRequest.parse("POST", "/containers/abc/stop");
    assertThatThrownBy(() -> r.withSegment(1, "/etc")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> r.withSegment(1, "")).isInstanceOf(IllegalArgumentException.class);
    assertThat(r.withSegment(1, "abc123").target()).isEqualTo("/containers/abc123/stop");
  }

  @Test
  void parse_unknownMethod_namedOnlyWhenShortAndPrintable() {
    assertThatThrownBy(() -> CanonicalRequest.parse("!ABCDEFGHIJKLMN~", "/_ping"))
        .hasMessageContaining("method !ABCDEFGHIJKLMN~ is not");
    for (String method : new String[] {"ABCDEFGHIJKLMNOPQ", "GET\u007f", "GET FOO", "G\u0080"}) {
      assertThatThrownBy(() -> CanonicalRequest.parse(method, "/_ping"))
          .as(method)
          .hasMessageContaining("method (unprintable) is not");
    }
  }
}
