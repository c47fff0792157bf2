package dev.berth.policy.docker;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.ListElements;
import dev.berth.policy.RequestException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Reads request bodies the way dockerd's Go {@code encoding/json} would, but refuses everything on
 * which a Java reader and the Go reader could disagree.
 *
 * <p>Design note. Go matches struct keys case-insensitively (with Unicode simple case folding:
 * {@code "ſ"} matches {@code "s"}, KELVIN SIGN matches {@code "k"}), lets the last of duplicate
 * keys win, ignores unknown keys, and replaces invalid UTF-8 with U+FFFD. A filter that reads
 * {@code {"HostConfig":{"Privileged":false,"privileged":true}}} with exact-key matching judges a
 * harmless body that the daemon runs privileged. So this reader: rejects exact duplicates (at every
 * level, via Jackson), rejects two keys of one struct that fold to the same field, rejects invalid
 * UTF-8, trailing data and wrong types, keeps {@code null} distinct from absent, and builds a new
 * tree holding only the fields of the {@link Schema} under their canonical names. That tree is what
 * the rules judge and what is forwarded.
 *
 * <p>Folding here maps each code point through upper then lower case, which joins every pair Go's
 * simple folding joins (and a few more, such as dotless i); matching more keys than Go only ever
 * makes berth judge a field the daemon would ignore, never the reverse.
 */
public final class DockerJson {
  static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
          .disable(JsonParser.Feature.ALLOW_COMMENTS)
          .build();

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private DockerJson() {}

  /**
   * A new mapper with Jackson's defaults, for JSON that is not a request body berth judges (plugin
   * messages, daemon answers, berth's own state files). This class is berth's JSON factory: mappers
   * are built here and nowhere else (checkstyle: newObjectMapper).
   */
  public static ObjectMapper mapper() {
    return JsonMapper.builder().build();
  }

  /** Parses a complete body strictly, without a schema (duplicates, trailing data refused). */
  public static JsonNode parse(byte[] body) throws RequestException {
    requireUtf8(body);
    return parseUtf8(body);
  }

  /** {@link #parse} of a body already found to be strict UTF-8. */
  private static JsonNode parseUtf8(byte[] body) throws RequestException {
    try {
      JsonNode node = MAPPER.readTree(body);
      if (node == null || node.isMissingNode()) {
        throw RequestException.bad("body: empty where JSON was expected");
      }
      return node;
    } catch (IOException | NumberFormatException e) {
      throw unreadable(e);
    }
  }

  /** The refusal of a body Jackson could not read, worded alike wherever berth reads JSON. */
  private static RequestException unreadable(Exception e) {
    if (e instanceof JsonProcessingException json) {
      return RequestException.bad("body: not valid JSON (" + json.getOriginalMessage() + ")");
    }
    if (e instanceof NumberFormatException) {
      // Jackson throws this one unwrapped for numbers it cannot represent, such as 1e66706667422
      // (found by fuzzing); the daemon's decoder refuses them too.
      return RequestException.bad("body: a number out of range (" + e.getMessage() + ")");
    }
    return RequestException.bad("body: unreadable (" + e.getMessage() + ")");
  }

  /**
   * Refuses a body that is not strict UTF-8 (overlong forms, surrogates, code points above
   * U+10FFFF, truncated sequences), in keys as in values: Go replaces each bad byte with U+FFFD
   * where Jackson may decode some of them, so the daemon would read another key than berth judged.
   */
  private static void requireUtf8(byte[] body) throws RequestException {
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(body);
    CharBuffer out = CharBuffer.allocate(8192);
    while (true) {
      CoderResult r = decoder.decode(in, out, true);
      if (r.isError()) {
        throw RequestException.bad(
            "body: invalid UTF-8 at byte "
                + in.position()
                + "; keys and strings must be valid UTF-8");
      }
      if (!r.isOverflow()) {
        return; // all read: a truncated sequence at the end is an error above
      }
      out.clear();
    }
  }

  /** Parses a body and canonicalises it against {@code schema}, which must be a struct. */
  public static ObjectNode read(byte[] body, Schema.Struct schema) throws RequestException {
    return read(body, schema, new ArrayList<>());
  }

  /**
   * Parses a body and canonicalises it against {@code schema}, adding to {@code dropped} the path
   * of each field the schema does not know (dropped, never forwarded).
   */
  public static ObjectNode read(byte[] body, Schema.Struct schema, List<String> dropped)
      throws RequestException {
    JsonNode node = parse(body);
    if (!node.isObject()) {
      throw RequestException.bad("body: expected a JSON object (" + schema.name() + ")");
    }
    return (ObjectNode) canonicalise(node, schema, "", dropped);
  }

  /**
   * Maps a daemon's answer with {@code elements} when it is a JSON array, reading it as a stream:
   * each element is read with nodes only for what the rule reads ({@link ListAnswer}), mapped, and
   * written at once if kept, so the whole answer is never held as a tree. The answer is checked as
   * strictly as {@link #parse} checks it (strict UTF-8, duplicate keys at every level, numbers
   * Jackson cannot represent, trailing data): any fault refuses the whole answer, as the tree form
   * would. The output is the tree form's, byte for byte. An answer that is not an array is mapped
   * whole by {@code whole}, exactly as {@code write(whole.apply(parse(body)))}.
   */
  public static byte[] mapList(byte[] body, ListElements elements, UnaryOperator<JsonNode> whole)
      throws RequestException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length);
    mapList(body, elements, whole, out);
    return out.toByteArray();
  }

  /**
   * {@link #mapList(byte[], ListElements, UnaryOperator)} written to {@code out} (which is not
   * closed); on a refusal, what was written to {@code out} is not an answer.
   */
  public static void mapList(
      byte[] body, ListElements elements, UnaryOperator<JsonNode> whole, OutputStream out)
      throws RequestException {
    requireUtf8(body);
    try (JsonParser in = MAPPER.createParser(body)) {
      JsonToken first = in.nextToken();
      if (first != JsonToken.START_ARRAY) {
        out.write(write(whole.apply(parseUtf8(body))));
        return;
      }
      try (JsonGenerator gen =
          MAPPER.createGenerator(out).disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
        ListAnswer.map(body, in, gen, elements);
      }
      if (in.nextToken() != null) {
        throw RequestException.bad("body: not valid JSON (trailing data after the array)");
      }
    } catch (IOException | NumberFormatException e) {
      throw unreadable(e);
    }
  }

  /** Serialises a tree as compact JSON. */
  public static byte[] write(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a tree berth built", e);
    }
  }

  /** Canonicalises {@code node} against {@code schema}; {@code at} names it in messages. */
  static JsonNode canonicalise(JsonNode node, Schema schema, String at) throws RequestException {
    return canonicalise(node, schema, at, new ArrayList<>());
  }

  private static JsonNode canonicalise(
      JsonNode node, Schema schema, String at, List<String> dropped) throws RequestException {
    if (node.isNull()) {
      return node; // Go leaves the zero value; null stays null so that absent, [] and null differ
    }
    return switch (schema) {
      case Schema.Str s -> expect(node, node.isTextual(), "a string", at);
      case Schema.Bool b -> expect(node, node.isBoolean(), "a boolean", at);
      case Schema.Int i -> expect(node, node.isIntegralNumber(), "an integer", at);
      case Schema.Any a -> node;
      case Schema.StrSlice s -> {
        if (node.isTextual()) {
          yield NODES.arrayNode().add(node.textValue());
        }
        yield canonicalise(node, Schema.STR_LIST, at, dropped);
      }
      case Schema.ListOf l -> {
        expect(node, node.isArray(), "an array", at);
        ArrayNode out = NODES.arrayNode(node.size());
        for (int i = 0; i < node.size(); i++) {
          out.add(canonicalise(node.get(i), l.item(), at + "[" + i + "]", dropped));
        }
        yield out;
      }
      case Schema.MapOf m -> {
        expect(node, node.isObject(), "an object", at);
        ObjectNode out = NODES.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          out.set(
              e.getKey(),
              canonicalise(e.getValue(), m.value(), at + "[" + e.getKey() + "]", dropped));
        }
        yield out;
      }
      case Schema.Struct s -> canonicaliseStruct(node, s, at, dropped);
    };
  }

  private static ObjectNode canonicaliseStruct(
      JsonNode node, Schema.Struct schema, String at, List<String> dropped)
      throws RequestException {
    expect(node, node.isObject(), "an object", at);
    Map<String, String> byFold = new HashMap<>();
    for (String field : schema.fields().keySet()) {
      byFold.put(fold(field), field);
    }
    Map<String, String> seen = new HashMap<>();
    ObjectNode out = NODES.objectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = e.getKey();
      String folded = fold(key);
      String earlier = seen.put(folded, key);
      if (earlier != null) {
        throw RequestException.bad(
            "body: "
                + path(at, key)
                + ": keys \""
                + earlier
                + "\" and \""
                + key
                + "\" name the same field; send it once");
      }
      String canonical = byFold.get(folded);
      if (canonical == null) {
        for (Map.Entry<String, String> r : schema.refused().entrySet()) {
          if (fold(r.getKey()).equals(folded)) {
            throw RequestException.bad("body: " + path(at, key) + ": " + r.getValue());
          }
        }
        dropped.add(path(at, key)); // unknown to berth: dropped, never forwarded
        continue;
      }
      out.set(
          canonical,
          canonicalise(
              e.getValue(),
              requireNonNull(schema.fields().get(canonical)),
              path(at, canonical),
              dropped));
    }
    return out;
  }

  /** Case folding that joins at least every pair Go's simple folding joins. */
  static String fold(String key) {
    StringBuilder sb = new StringBuilder(key.length());
    key.codePoints()
        .forEach(cp -> sb.appendCodePoint(Character.toLowerCase(Character.toUpperCase(cp))));
    return sb.toString();
  }

  private static JsonNode expect(JsonNode node, boolean ok, String what, String at)
      throws RequestException {
    if (!ok) {
      throw RequestException.bad("body: " + (at.isEmpty() ? "value" : at) + ": expected " + what);
    }
    return node;
  }

  private static String path(String at, String key) {
    return at.isEmpty() ? key : at + "." + key;
  }
}
