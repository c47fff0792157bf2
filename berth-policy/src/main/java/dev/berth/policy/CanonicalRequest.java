package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Docker API request in the single form that berth both judges and forwards.
 *
 * <p>Design note. Every bypass of URL-filtering Docker proxies comes from judging one thing and
 * forwarding another: a cleaned path while the raw one goes upstream, a body the filter parsed
 * differently from the daemon. So the request is parsed once, strictly, into this value; the engine
 * decides on it and returns the (possibly rewritten) value to forward; the relay re-serialises
 * exactly that ({@link #target()} and the body's own serialisation). Anything the parser cannot
 * represent unambiguously is refused here, before any rule runs.
 *
 * @param method upper-case HTTP method
 * @param apiVersion the {@code /vX.Y} prefix the client used, without the {@code v}, or "" if none
 * @param path the decoded path without the version prefix, always starting with {@code /}
 * @param segments the decoded path segments
 * @param query the parsed query
 * @param body what berth knows of the body
 */
public record CanonicalRequest(
    String method,
    String apiVersion,
    String path,
    List<String> segments,
    QueryParams query,
    Body body) {

  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE");
  // DOTALL: without it '.' stops at U+0085 and the line separators, so a raw path holding one was
  // read as unversioned, then forwarded percent-encoded with a version (found by fuzzing).
  private static final Pattern VERSION =
      Pattern.compile("^/v([0-9]+\\.[0-9]+)(/.*)$", Pattern.DOTALL);
  private static final Pattern VERSION_LIKE = Pattern.compile("^/v[0-9.]+/");

  public CanonicalRequest {
    requireNonNull(method, "method");
    requireNonNull(apiVersion, "apiVersion");
    requireNonNull(path, "path");
    segments = List.copyOf(segments);
    requireNonNull(query, "query");
    requireNonNull(body, "body");
  }

  /**
   * Parses a request line.
   *
   * @param method the method as received
   * @param rawTarget the request target as received (origin form only)
   * @throws RequestException when the target is not origin-form, has dot segments, empty segments,
   *     encoded slashes or NUL, bad escapes, or an unsupported method
   */
  public static CanonicalRequest parse(String method, String rawTarget) throws RequestException {
    if (!METHODS.contains(method)) {
      throw new RequestException(
          Decision.Status.BAD_REQUEST,
          "method " + printable(method) + " is not part of the Docker API");
    }
    if (!rawTarget.startsWith("/")) {
      // Absolute-form (http://host/path) and authority-form are routed by Go on their path part;
      // refusing them removes a whole class of parser differentials.
      throw RequestException.bad("request target must be a path (origin-form)");
    }
    if (rawTarget.indexOf('#') >= 0) {
      throw RequestException.bad("request target must not contain a fragment");
    }
    int q = rawTarget.indexOf('?');
    String rawPath = q < 0 ? rawTarget : rawTarget.substring(0, q);
    QueryParams query = q < 0 ? QueryParams.empty() : QueryParams.parse(rawTarget.substring(q + 1));

    String apiVersion = "";
    Matcher m = VERSION.matcher(rawPath);
    if (m.matches()) {
      apiVersion = m.group(1);
      rawPath = m.group(2);
    } else if (VERSION_LIKE.matcher(rawPath).lookingAt()) {
      throw RequestException.bad("malformed API version prefix");
    }
    List<String> segments = new ArrayList<>();
    if (!rawPath.equals("/")) {
      String[] parts = rawPath.substring(1).split("/", -1);
      for (String raw : parts) {
        if (raw.isEmpty()) {
          throw RequestException.bad("path must not contain empty segments ('//' or trailing '/')");
        }
        String lower = raw.toLowerCase(Locale.ROOT);
        if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("%00")) {
          throw RequestException.bad("path must not contain encoded '/', '\\' or NUL");
        }
        String seg = Percent.decodePath(raw, "path");
        if (seg.equals(".") || seg.equals("..")) {
          throw RequestException.bad("path must not contain '.' or '..' segments");
        }
        for (int i = 0; i < seg.length(); i++) {
          char c = seg.charAt(i);
          // A space (sent as %20) is one unambiguous character that no object name can hold:
          // the reference is then looked up and not found, as the daemon answers
          // (`docker network rm "a b"`), and forwarded re-encoded where nothing looks it up.
          if (c < 0x20 || c == 0x7f) {
            throw RequestException.bad("path must not contain control characters");
          }
          // A backslash is refused encoded (%5C) above, so it is refused raw too: else berth
          // would forward, as %5C, a path it refuses itself (found by fuzzing).
          if (c == '\\') {
            throw RequestException.bad("path must not contain '\\'");
          }
        }
        segments.add(seg);
      }
    }
    String path = "/" + String.join("/", segments);
    return new CanonicalRequest(method, apiVersion, path, segments, query, Body.NONE);
  }

  /** The request target to forward: version prefix, re-encoded path and re-encoded query. */
  public String target() {
    StringBuilder sb = new StringBuilder();
    if (!apiVersion.isEmpty()) {
      sb.append("/v").append(apiVersion);
    }
    if (segments.isEmpty()) {
      sb.append('/');
    }
    for (String s : segments) {
      sb.append('/').append(encodeSegment(s));
    }
    String qs = query.encode();
    if (!qs.isEmpty()) {
      sb.append('?').append(qs);
    }
    return sb.toString();
  }

  public CanonicalRequest withBody(Body newBody) {
    return new CanonicalRequest(method, apiVersion, path, segments, query, newBody);
  }

  /**
   * The same request with path segment {@code index} replaced (a name resolved to the full id that
   * was judged); the segment must be a single one (no {@code /}).
   */
  public CanonicalRequest withSegment(int index, String value) {
    if (value.isEmpty() || value.indexOf('/') >= 0) {
      throw new IllegalArgumentException("not a single path segment: " + value);
    }
    List<String> s = new ArrayList<>(segments);
    s.set(index, value);
    return new CanonicalRequest(method, apiVersion, "/" + String.join("/", s), s, query, body);
  }

  public CanonicalRequest withQuery(QueryParams newQuery) {
    return new CanonicalRequest(method, apiVersion, path, segments, newQuery, body);
  }

  /** What berth knows about a request body. */
  public sealed interface Body {
    /** No body is forwarded. */
    Body NONE = new None();

    /** No body. */
    record None() implements Body {}

    /**
     * A JSON body berth parsed, judged and will re-serialise.
     *
     * @param dropped where the body as sent had fields its schema does not know (such as {@code
     *     HostConfig.Foo}): berth judged the body without them and never forwards them
     */
    record Json(JsonNode value, List<String> dropped) implements Body {
      public Json {
        requireNonNull(value, "value");
        dropped = List.copyOf(dropped);
      }

      /** A body berth built or changed itself: nothing of it was dropped. */
      public Json(JsonNode value) {
        this(value, List.of());
      }
    }

    /**
     * A byte stream (a tar archive, an image tarball) relayed as it arrives, with backpressure.
     *
     * @param tarOwner when present, the stream is a tar archive whose entries the relay rewrites to
     *     belong to this owner (see {@link dev.berth.policy.docker.TarSanitizer})
     * @param imageNames when present, the stream is an image archive ({@code docker load}) whose
     *     tag-bearing entries the relay rewrites into this user's image namespace ({@link
     *     ImageArchiveNames}); the forwarded stream then changes length
     * @param buildContext when present, the stream is a classic build's context whose Dockerfile
     *     the relay judges at the archive's end and replaces ({@link BuildContext}); the forwarded
     *     stream then changes length
     */
    record Stream(
        Optional<TarOwner> tarOwner,
        Optional<ImageNames> imageNames,
        Optional<BuildContext> buildContext)
        implements Body {
      public Stream {
        requireNonNull(tarOwner, "tarOwner");
        requireNonNull(imageNames, "imageNames");
        requireNonNull(buildContext, "buildContext");
      }

      /** A stream, rewritten for {@code tarOwner} when present. */
      public Stream(Optional<TarOwner> tarOwner) {
        this(tarOwner, Optional.empty(), Optional.empty());
      }

      /**
       * A stream rewritten for {@code tarOwner}, an image archive's tags for {@code imageNames}.
       */
      public Stream(Optional<TarOwner> tarOwner, Optional<ImageNames> imageNames) {
        this(tarOwner, imageNames, Optional.empty());
      }

      /** Whether the relay forwards exactly as many bytes as the client sent. */
      public boolean keepsLength() {
        return imageNames.isEmpty() && buildContext.isEmpty();
      }

      /** A stream relayed unchanged. */
      public static Stream opaque() {
        return new Stream(Optional.empty());
      }
    }

    /** The owner every entry of a streamed tar archive is given. */
    record TarOwner(int uid, int gid) {}

    /** The user whose image namespace the tags of a loaded image archive are written into. */
    record ImageNames(int uid) {}

    /**
     * A classic build's context (issue 13): the Dockerfile the daemon would read is judged at the
     * archive's end ({@link dev.berth.policy.rules.DockerfileRules}) and forwarded as the entry
     * {@code entry}, which the forwarded {@code dockerfile} parameter names.
     *
     * @param dockerfile the entry the daemon would read as the Dockerfile (the request's {@code
     *     dockerfile} parameter, {@code Dockerfile} by default)
     * @param entry berth's entry, a fresh random name at the context's root
     * @param buildArgs the request's {@code buildargs} (JSON), for FROM's expansion
     * @param pull whether the request asked for {@code --pull}: berth pulls the shared images the
     *     Dockerfile names again, and the daemon is not asked to
     */
    record BuildContext(String dockerfile, String entry, String buildArgs, boolean pull) {}
  }

  private static String encodeSegment(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '-'
          || c == '.'
          || c == '_'
          || c == '~'
          || c == ':'
          || c == '@') {
        sb.append((char) c);
      } else {
        sb.append('%')
            .append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  private static String printable(String s) {
    return s.chars().allMatch(c -> c >= 0x21 && c < 0x7f) && s.length() <= 16 ? s : "(unprintable)";
  }
}
