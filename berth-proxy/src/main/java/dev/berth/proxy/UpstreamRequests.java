package dev.berth.proxy;

import dev.berth.policy.CanonicalRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The request the daemon receives: built only from what berth judged (the canonical request, and
 * berth's own serialisation of a judged JSON body), plus an allowlist of the client's headers.
 * Nothing else of the client's request head reaches the daemon.
 */
final class UpstreamRequests {
  private static final List<AsciiString> FORWARDED_HEADERS =
      List.of(
          HttpHeaderNames.USER_AGENT,
          HttpHeaderNames.ACCEPT,
          AsciiString.cached("X-Registry-Auth"),
          AsciiString.cached("X-Registry-Config"),
          AsciiString.cached("X-Docker-Expose-Session-Uuid"),
          AsciiString.cached("X-Docker-Expose-Session-Name"),
          AsciiString.cached("X-Docker-Expose-Session-Sharedkey"));

  private UpstreamRequests() {}

  /**
   * The head (and, for a judged body, the whole request) to send.
   *
   * @param json berth's serialisation of the judged JSON body, or null
   * @param streamed whether the client's body content follows as a stream
   */
  static HttpRequest build(
      HttpRequest client,
      CanonicalRequest request,
      byte @Nullable [] json,
      boolean streamed,
      boolean hijacks) {
    HttpMethod method = HttpMethod.valueOf(request.method());
    HttpRequest out;
    HttpHeaders in = client.headers();
    if (streamed) {
      out = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, request.target());
      boolean rewritten =
          request.body() instanceof CanonicalRequest.Body.Stream st
              && (st.tarOwner().isPresent() // decompressed on the way: its length is unknown yet
                  || !st.keepsLength());
      if (rewritten || HttpUtil.isTransferEncodingChunked(client)) {
        HttpUtil.setTransferEncodingChunked(out, true);
      } else {
        out.headers().set(HttpHeaderNames.CONTENT_LENGTH, HttpUtil.getContentLength(client, 0L));
      }
      String type = in.get(HttpHeaderNames.CONTENT_TYPE);
      if (type != null) {
        out.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
      }
    } else {
      ByteBuf content = json == null ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(json);
      out = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, request.target(), content);
      out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
      if (json != null) {
        out.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
      }
    }
    out.headers().set(HttpHeaderNames.HOST, in.get(HttpHeaderNames.HOST, "docker"));
    for (AsciiString name : FORWARDED_HEADERS) {
      String v = in.get(name);
      if (v != null) {
        out.headers().set(name, v);
      }
    }
    if (hijacks && in.contains(HttpHeaderNames.UPGRADE)) {
      out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
      out.headers().set(HttpHeaderNames.UPGRADE, "tcp");
    }
    return out;
  }

  /** Removes the headers that describe one hop, not the answer. */
  static void stripHopByHop(HttpHeaders h) {
    h.remove(HttpHeaderNames.CONNECTION);
    h.remove(HttpHeaderNames.KEEP_ALIVE);
    h.remove(HttpHeaderNames.PROXY_AUTHENTICATE);
    h.remove(HttpHeaderNames.TE);
    h.remove(HttpHeaderNames.TRAILER);
    h.remove(HttpHeaderNames.UPGRADE);
    h.remove("Proxy-Connection");
  }
}
