package dev.berth.policy.docker;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.berth.policy.ListElements;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A list answer (a JSON array) mapped element by element for {@link DockerJson#mapList}, with nodes
 * built only for what the element rule reads ({@link ListElements.Reads}).
 *
 * <p>Design note. Each element is read once, on the strict parser, which checks every token as the
 * tree form would (duplicate keys at every level; numbers: each float is built as the tree builds
 * it, so the same numbers fail). What is built is a sparse element: objects with all of their keys
 * in order, the values the rule reads as ordinary nodes, and in place of each other value a {@link
 * Hole} naming the value's bytes in the answer. The rule runs on it exactly as on a whole element
 * and decides keep or drop; it may rename keys, move or drop values, and build its own nodes, as on
 * a tree. A kept element is written from what the rule returned, each hole as the value it stands
 * for: as the daemon's bytes when they are what Jackson would write for them (compact, no escapes,
 * no code point above U+FFFF, no floats, no {@code -0}: {@link #canonical}), else re-read from its
 * bytes and copied token by token, numbers written as the tree writes them. So the output is the
 * tree form's, byte for byte, as long as the rule reads nothing it did not name in its {@link
 * ListElements.Reads} (a hole reads as no text, no number and no container). Strings in holes are
 * never decoded: their bytes were checked as strict UTF-8 before, and no string of an answer
 * shorter than Jackson's string limit can exceed it, so a longer answer is read element by element
 * as trees.
 */
final class ListAnswer {
  /** One element of the array, read as a tree (the rest of the array follows it). */
  private static final ObjectReader ELEMENT =
      DockerJson.MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** One value written, without flushing the generator after each. */
  private static final ObjectWriter OUT =
      DockerJson.MAPPER.writer().without(SerializationFeature.FLUSH_AFTER_WRITE_VALUE);

  /** Re-reads a hole's bytes, which the strict parser checked already. */
  private static final JsonFactory COPY = JsonFactory.builder().build();

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** Bytes {@link #canonical} looks at outside strings. */
  private static final boolean[] OUTSIDE = new boolean[256];

  /** Bytes {@link #canonical} looks at inside strings: the end, escapes, 4-byte sequences. */
  private static final boolean[] INSIDE = new boolean[256];

  static {
    for (char c : new char[] {'"', '\\', ' ', '\t', '\n', '\r', '.', '-', 'e', 'E'}) {
      OUTSIDE[c] = true;
    }
    INSIDE['"'] = true;
    INSIDE['\\'] = true;
    for (int b = 0xF0; b <= 0xFF; b++) {
      INSIDE[b] = true;
    }
  }

  private ListAnswer() {}

  /**
   * Writes the kept elements of the array {@code in} is at (its {@code START_ARRAY}) to {@code
   * gen}, up to and including the array's end.
   */
  static void map(byte[] body, JsonParser in, JsonGenerator gen, ListElements elements)
      throws IOException {
    // a string in a hole is not measured: only an answer too short to hold a longer one has holes
    ListElements.Reads reads =
        body.length <= in.streamReadConstraints().getMaxStringLength()
            ? elements.reads()
            : ListElements.Reads.ALL;
    int shown = 0;
    gen.writeStartArray();
    for (JsonToken t = in.nextToken(); t != JsonToken.END_ARRAY; t = in.nextToken()) {
      JsonNode item = read(body, in, requireToken(in, t), reads);
      if (elements.limit() > 0 && shown >= elements.limit()) {
        continue; // read and checked like the rest, not shown
      }
      Optional<JsonNode> kept = elements.element().apply(item);
      if (kept.isPresent()) {
        write(gen, body, kept.get());
        shown++;
      }
    }
    gen.writeEndArray();
  }

  /** The value {@code in} is at ({@code t}), with nodes for what {@code reads} names. */
  private static JsonNode read(byte[] body, JsonParser in, JsonToken t, ListElements.Reads reads)
      throws IOException {
    Map<String, ListElements.Reads> fields = reads.fields();
    ListElements.Reads items = reads.items();
    if (fields != null && t == JsonToken.START_OBJECT) {
      return readObject(body, in, fields);
    }
    if (items != null && t == JsonToken.START_ARRAY) {
      ArrayNode out = NODES.arrayNode();
      for (JsonToken i = in.nextToken(); i != JsonToken.END_ARRAY; i = in.nextToken()) {
        out.add(read(body, in, requireToken(in, i), items));
      }
      return out;
    }
    return switch (t) {
      case VALUE_STRING -> NODES.textNode(in.getText());
      case VALUE_NULL -> NODES.nullNode();
      case VALUE_TRUE -> NODES.booleanNode(true);
      case VALUE_FALSE -> NODES.booleanNode(false);
      default -> ELEMENT.readTree(in); // numbers, objects and arrays as the tree builds them
    };
  }

  /** The object {@code in} is at, with nodes for {@code fields} and holes for the other values. */
  private static ObjectNode readObject(
      byte[] body, JsonParser in, Map<String, ListElements.Reads> fields) throws IOException {
    ObjectNode out = new ObjectNode(NODES, new LinkedHashMap<>(32));
    @Nullable Hole open = null;
    while (true) {
      JsonToken t = in.nextToken();
      if (open != null) {
        open.end = valueEnd(body, start(in));
        open = null;
      }
      if (t != JsonToken.FIELD_NAME) {
        return out; // END_OBJECT: the strict parser allows nothing else here
      }
      String name = in.currentName();
      t = requireToken(in, in.nextToken());
      ListElements.Reads r = fields.get(name);
      if (r == null) {
        open = new Hole(start(in));
        skip(in);
        out.set(name, open);
      } else {
        out.set(name, read(body, in, t, r));
      }
    }
  }

  private static JsonToken requireToken(JsonParser in, @Nullable JsonToken t)
      throws JsonParseException {
    if (t == null) {
      throw new JsonParseException(in, "unexpected end of the answer");
    }
    return t;
  }

  /** Where the token {@code in} is at starts in the answer. */
  private static int start(JsonParser in) {
    return Math.toIntExact(in.currentTokenLocation().getByteOffset());
  }

  /** The end of the value before the token at {@code next}: before its comma and white space. */
  private static int valueEnd(byte[] body, int next) {
    int i = next;
    while (i > 0 && isSpace(body[i - 1])) {
      i--;
    }
    if (i > 0 && body[i - 1] == ',') {
      i--;
      while (i > 0 && isSpace(body[i - 1])) {
        i--;
      }
    }
    return i;
  }

  private static boolean isSpace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }

  /**
   * Whether Jackson writes the value in {@code body[start, end)} as these very bytes: no white
   * space outside strings, no escapes (Jackson writes {@code \u005Cu003c} as {@code <}), no floats
   * (the tree writes them as {@link java.math.BigDecimal}s), no {@code -0}. That strings hold valid
   * UTF-8 and no control characters is given (the answer was checked, the parser refuses them).
   */
  static boolean canonical(byte[] body, int start, int end) {
    int i = start;
    while (i < end) {
      // outside strings
      while (i < end && !OUTSIDE[body[i] & 0xFF]) {
        i++;
      }
      if (i == end) {
        return true;
      }
      byte b = body[i];
      if (b == '-' || b == 'e' || b == 'E') {
        boolean minusZero = b == '-' && i + 1 < end && body[i + 1] == '0';
        boolean exponent = b != '-' && i > start && body[i - 1] >= '0' && body[i - 1] <= '9';
        if (minusZero || exponent) {
          return false;
        }
        i++;
        continue;
      }
      if (b != '"') {
        return false; // white space, '.', a backslash
      }
      // a string, up to its closing quote
      i++;
      while (i < end && !INSIDE[body[i] & 0xFF]) {
        i++;
      }
      if (i == end || body[i] != '"') {
        return false; // an escape, or a code point above U+FFFF
      }
      i++;
    }
    return true;
  }

  /** Passes the value {@code in} is at, checking its numbers as the tree form would. */
  private static void skip(JsonParser in) throws IOException {
    int depth = 0;
    JsonToken t = in.currentToken();
    while (true) {
      if (t == null) {
        throw new JsonParseException(in, "unexpected end of the answer");
      }
      if (t == JsonToken.VALUE_NUMBER_FLOAT) {
        ELEMENT.readTree(in); // the same numbers fail as in the tree
      } else if (t.isStructStart()) {
        depth++;
      } else if (t.isStructEnd()) {
        depth--;
      }
      if (depth == 0) {
        return;
      }
      t = in.nextToken();
    }
  }

  /**
   * Writes {@code node} as Jackson writes a tree, each hole as the daemon's value it stands for.
   * Numbers and other nodes than these are written by Jackson itself.
   */
  private static void write(JsonGenerator gen, byte[] body, JsonNode node) throws IOException {
    switch (node) {
      case Hole h -> {
        if (canonical(body, h.start, h.end)) {
          gen.writeRawValue(new RawValue(body, h.start, h.end));
        } else {
          try (JsonParser again = COPY.createParser(body, h.start, h.end - h.start)) {
            again.nextToken();
            copy(gen, again);
          }
        }
      }
      case ObjectNode o -> {
        gen.writeStartObject();
        for (Map.Entry<String, JsonNode> e : o.properties()) {
          gen.writeFieldName(e.getKey());
          write(gen, body, e.getValue());
        }
        gen.writeEndObject();
      }
      case ArrayNode a -> {
        gen.writeStartArray();
        for (JsonNode item : a) {
          write(gen, body, item);
        }
        gen.writeEndArray();
      }
      case TextNode t -> gen.writeString(t.textValue());
      case BooleanNode b -> gen.writeBoolean(b.booleanValue());
      case NullNode n -> gen.writeNull();
      default -> OUT.writeValue(gen, node);
    }
  }

  /** Copies the value {@code in} is at, writing its numbers as the tree form writes them. */
  private static void copy(JsonGenerator gen, JsonParser in) throws IOException {
    int depth = 0;
    JsonToken t = in.currentToken();
    while (true) {
      if (t == null) {
        throw new JsonParseException(in, "unexpected end of the answer");
      }
      switch (t) {
        case VALUE_NUMBER_FLOAT -> OUT.writeValue(gen, ELEMENT.readTree(in));
        case VALUE_NUMBER_INT -> {
          if (in.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            gen.writeNumber(in.getBigIntegerValue());
          } else {
            gen.writeNumber(in.getLongValue());
          }
        }
        default -> gen.copyCurrentEvent(in);
      }
      if (t.isStructStart()) {
        depth++;
      } else if (t.isStructEnd()) {
        depth--;
      }
      if (depth == 0) {
        return;
      }
      t = in.nextToken();
    }
  }

  /**
   * A value the rule does not read, by its bytes in the answer; {@link #write} writes it. Jackson
   * cannot serialise it (it holds an object without properties), so no other path can show
   * something else than the daemon's value for it.
   */
  static final class Hole extends POJONode {
    private static final long serialVersionUID = 1L;
    private static final Opaque OPAQUE = new Opaque();

    /** Where the value starts in the answer. */
    final int start;

    /** Where it ends, once the token after it is read. */
    int end;

    Hole(int start) {
      super(OPAQUE);
      this.start = start;
      this.end = start;
    }
  }

  /** What a hole holds: nothing Jackson can serialise. */
  private static final class Opaque {}
}
