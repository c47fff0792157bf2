package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.CanonicalRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The daemon receives what berth judged, and only allowlisted headers of the client's. */
class UpstreamRequestsTest {
  private static HttpRequest client(String uri) {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri);
    r.headers()
        .set("Host", "d")
        .set("User-Agent", "t")
        .set("X-Evil", "1")
        .set("Content-Type", "text/plain")
        .set("Connection", "Upgrade")
        .set("Upgrade", "tcp")
        .set("Content-Length", "99");
    return r;
  }

  @Test
  void judgedBody_sentAsBerthSerialisedIt() throws Exception {
    byte[] json = "{\"Image\":\"x\"}".getBytes(StandardCharsets.UTF_8);
    HttpRequest out =
        UpstreamRequests.build(
            client("/containers/create?name=a"),
            CanonicalRequest.parse("POST", "/v1.51/containers/create?name=a"),
            json,
            false,
            false);
    assertThat(out)
        .isInstanceOfSatisfying(
            FullHttpRequest.class,
            full -> {
              assertThat(full.content().toString(StandardCharsets.UTF_8))
                  .isEqualTo("{\"Image\":\"x\"}");
              full.release();
            });
    assertThat(out.headers().get("Content-Length")).isEqualTo("13");
    assertThat(out.headers().get("Content-Type")).isEqualTo("application/json");
    assertThat(out.headers().get("User-Agent")).isEqualTo("t");
    assertThat(out.headers().contains("X-Evil")).isFalse();
    assertThat(out.headers().contains("Upgrade")).isFalse(); // not a route that hijacks
  }

  @Test
  void hijackingRoute_asksForTheUpgrade() throws Exception {
    HttpRequest out =
        UpstreamRequests.build(
            client("/exec/e/start"),
            CanonicalRequest.parse("POST", "/v1.51/exec/e/start"),
            new byte[] {'{', '}'},
            false,
            true);
    assertThat(out.headers().get("Upgrade")).isEqualTo("tcp");
    assertThat(out.headers().get("Connection")).isEqualTo("upgrade");
    ((FullHttpRequest) out).release();
  }

  @Test
  void streamedBody_keepsTheClientsLengthAndType() throws Exception {
    HttpRequest out =
        UpstreamRequests.build(
            client("/images/load"),
            CanonicalRequest.parse("POST", "/v1.51/images/load"),
            null,
            true,
            false);
    assertThat(out).isNotInstanceOf(FullHttpRequest.class);
    assertThat(out.headers().get("Content-Length")).isEqualTo("99");
    assertThat(out.headers().get("Content-Type")).isEqualTo("text/plain");
  }

  @Test
  void archiveUpload_forwardedChunked_itsLengthChangesOnTheWay() throws Exception {
    CanonicalRequest put =
        CanonicalRequest.parse("PUT", "/v1.51/containers/c/archive?path=/")
            .withBody(
                new CanonicalRequest.Body.Stream(
                    Optional.of(new CanonicalRequest.Body.TarOwner(1001, 1001))));
    HttpRequest out =
        UpstreamRequests.build(client("/containers/c/archive?path=/"), put, null, true, false);
    assertThat(out.headers().contains("Content-Length")).isFalse();
    assertThat(out.headers().get("Transfer-Encoding")).isEqualTo("chunked");
  }
}
