package dev.berth.proxy;

import dev.berth.enforce.Refusals;
import dev.berth.policy.Decision;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What berth refuses in a request head's framing, before any policy runs: what the strict decoder
 * let through but a daemon or another filter could read differently (the corpus PROTO and AUTHZ-04
 * cases, see docs/corpus.md), and what the daemon itself would refuse before reading the request
 * ({@code Expect}).
 */
final class FramingRules {
  /** Headers that must appear at most once (corpus AUTHZ-04). */
  private static final List<AsciiString> SINGLE_VALUED =
      List.of(
          HttpHeaderNames.HOST,
          HttpHeaderNames.CONTENT_TYPE,
          HttpHeaderNames.CONTENT_LENGTH,
          HttpHeaderNames.UPGRADE,
          HttpHeaderNames.EXPECT,
          AsciiString.cached("X-Registry-Auth"),
          AsciiString.cached("X-Registry-Config"));

  private FramingRules() {}

  /** A refusal of the request's framing, or empty when berth can judge it unambiguously. */
  static Optional<Decision.Deny> check(HttpRequest req) {
    HttpHeaders h = req.headers();
    List<String> length = h.getAll(HttpHeaderNames.CONTENT_LENGTH);
    if (length.size() > 1 || (length.size() == 1 && !length.get(0).matches("[0-9]{1,18}"))) {
      return Optional.of(
          Refusals.framing("malformed or repeated Content-Length " + String.join(", ", length)));
    }
    if (req.decoderResult().isFailure()) {
      return Optional.of(
          Refusals.framing(
              "malformed HTTP request (" + req.decoderResult().cause().getMessage() + ")"));
    }
    if (req.protocolVersion() != HttpVersion.HTTP_1_1) {
      return Optional.of(Refusals.framing("only HTTP/1.1 is supported"));
    }
    List<String> te = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
    if (te.size() > 1 || (te.size() == 1 && !te.get(0).strip().equalsIgnoreCase("chunked"))) {
      return Optional.of(Refusals.framing("Transfer-Encoding must be exactly 'chunked'"));
    }
    if (!te.isEmpty() && !length.isEmpty()) {
      return Optional.of(
          Refusals.framing("Content-Length and Transfer-Encoding must not both " + "be present"));
    }
    for (AsciiString name : SINGLE_VALUED) {
      if (h.getAll(name).size() > 1) {
        // Go's Header.Get takes the first value; a filter taking the last judges another request
        return Optional.of(Refusals.framing(name + " must not be given more than once"));
      }
    }
    List<String> upgrade = h.getAll(HttpHeaderNames.UPGRADE);
    boolean h2c =
        upgrade.size() == 1
            && upgrade.get(0).strip().equalsIgnoreCase("h2c")
            && BuildKitHandOff.PATH.matcher(req.uri()).matches();
    if (upgrade.size() == 1 && !h2c && !upgrade.get(0).strip().equalsIgnoreCase("tcp")) {
      return Optional.of(
          Refusals.framing(
              "only 'Upgrade: tcp' (attach, exec) and 'Upgrade: "
                  + "h2c' on /grpc and /session (BuildKit) are supported"));
    }
    String type = h.get(HttpHeaderNames.CONTENT_TYPE, "").toLowerCase(Locale.ROOT);
    if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/")) {
      return Optional.of(
          Refusals.framing(
              "form-encoded and multipart bodies are not accepted "
                  + "(dockerd would read them as query parameters)"));
    }
    String expect = h.get(HttpHeaderNames.EXPECT);
    if (expect != null && !expect.strip().equalsIgnoreCase(HttpHeaderValues.CONTINUE.toString())) {
      // Go's server answers any other expectation with 417 before the daemon sees the request.
      return Optional.of(
          Refusals.expectation("berth: unsupported Expect: " + expect + " (only 100-continue)"));
    }
    return Optional.empty();
  }

  /**
   * Whether the request's end cannot be found after a refusal of its framing (its length is
   * malformed or the decoder gave up): then everything the client still sends is dropped.
   */
  static boolean endUnknown(HttpRequest req) {
    HttpHeaders h = req.headers();
    return req.decoderResult().isFailure()
        || h.getAll(HttpHeaderNames.CONTENT_LENGTH).size() > 1
        || h.getAll(HttpHeaderNames.TRANSFER_ENCODING).size() > 1
        || (h.contains(HttpHeaderNames.CONTENT_LENGTH)
            && !h.get(HttpHeaderNames.CONTENT_LENGTH).matches("[0-9]{1,18}"))
        || (h.contains(HttpHeaderNames.TRANSFER_ENCODING)
            && !h.get(HttpHeaderNames.TRANSFER_ENCODING).strip().equalsIgnoreCase("chunked"))
        || (h.contains(HttpHeaderNames.TRANSFER_ENCODING)
            && h.contains(HttpHeaderNames.CONTENT_LENGTH));
  }

  /**
   * The daemon's answer to a JSON body sent with another Content-Type (moby's {@code
   * httputils.CheckForJSON}: "unsupported Content-Type header (...): must be 'application/json'"),
   * or empty when the type is JSON or absent.
   */
  static Optional<Decision.Deny> checkJson(HttpRequest req) {
    String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
    if (type == null) {
      return Optional.empty();
    }
    String mime = type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    if (mime.equals("application/json")) {
      return Optional.empty();
    }
    return Optional.of(
        new Decision.Deny(
            "content_type",
            Decision.Status.BAD_REQUEST,
            "unsupported Content-Type header (" + type + "): must be 'application/json'"));
  }
}
