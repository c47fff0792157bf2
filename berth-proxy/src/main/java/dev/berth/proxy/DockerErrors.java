package dev.berth.proxy;

import dev.berth.policy.Decision;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * The one place where refusals become HTTP: Docker's error format {@code {"message": "..."}}, so
 * the docker CLI prints {@code Error response from daemon: <reason>}.
 */
final class DockerErrors {
  private DockerErrors() {}

  static FullHttpResponse of(Decision refusal, boolean keepAlive) {
    return switch (refusal) {
      case Decision.Deny d -> of(status(d.status()), d.reason(), keepAlive);
      case Decision.Indeterminate i ->
          of(HttpResponseStatus.FORBIDDEN, "berth: request refused: " + i.detail(), keepAlive);
      case Decision.Allow a -> throw new IllegalArgumentException("an Allow is not an error");
    };
  }

  static FullHttpResponse of(HttpResponseStatus status, String message, boolean keepAlive) {
    byte[] body = ("{\"message\":" + quote(message) + "}\n").getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    if (!keepAlive) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return r;
  }

  /**
   * An error of a request whose answer is a progress stream (a build), as the daemon writes one
   * once its stream began: {@code 200} and a JSON message with {@code errorDetail}, which the CLI
   * prints as the error and exits 1 with (moby {@code jsonmessage}); the connection closes after.
   */
  static FullHttpResponse inStream(String message) {
    String quoted = quote(message);
    byte[] body =
        ("{\"errorDetail\":{\"message\":" + quoted + "},\"error\":" + quoted + "}\n")
            .getBytes(StandardCharsets.UTF_8);
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return r;
  }

  private static HttpResponseStatus status(Decision.Status s) {
    return switch (s) {
      case FORBIDDEN -> HttpResponseStatus.FORBIDDEN;
      case BAD_REQUEST -> HttpResponseStatus.BAD_REQUEST;
      case TOO_LARGE -> HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
      case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
      case CONFLICT -> HttpResponseStatus.CONFLICT;
      case TOO_MANY_REQUESTS -> HttpResponseStatus.TOO_MANY_REQUESTS;
      case REQUEST_TIMEOUT -> HttpResponseStatus.REQUEST_TIMEOUT;
      case EXPECTATION_FAILED -> HttpResponseStatus.EXPECTATION_FAILED;
      case BAD_GATEWAY -> HttpResponseStatus.BAD_GATEWAY;
      case UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
    };
  }

  /** JSON string literal; control characters escaped so no input can break the body. */
  static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        default -> {
          if (c < 0x20 || c == 0x7f || c == 0x2028 || c == 0x2029) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
