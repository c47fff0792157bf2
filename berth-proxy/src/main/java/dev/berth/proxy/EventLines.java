package dev.berth.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.berth.policy.Decision;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.DockerJson;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The event stream ({@code GET /events}), or a progress stream of a pull, push, load or build
 * ({@link Decision.AnswerNames#progress}), in the caller's names, as it passes.
 *
 * <p>The daemon writes one JSON object a line and flushes each (moby's events route encodes every
 * event with {@code json.Encoder}); each complete line is parsed, given back the caller's names
 * ({@link Decision.FollowUp.MapEvents}) and written on at once, so the stream is never held back. A
 * line not complete yet waits for the next part of the answer (at most {@value #MAX_LINE} bytes,
 * then it goes on unchanged); a line that is not JSON goes on unchanged.
 */
final class EventLines {
  private static final int MAX_LINE = 1024 * 1024;

  private final UnaryOperator<JsonNode> mapping;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

  EventLines(UnaryOperator<JsonNode> mapping) {
    this.mapping = mapping;
  }

  /**
   * A line mapping that renames every text of a progress message ({@code status}, {@code stream},
   * {@code error}, {@code errorDetail.message}, {@code progress}, {@code aux}, ...) with {@code
   * text}: the daemon's jsonmessage lines have no fixed set of fields that may name an image.
   */
  static UnaryOperator<JsonNode> texts(UnaryOperator<String> text) {
    return line -> renamed(line.deepCopy(), text);
  }

  private static JsonNode renamed(JsonNode node, UnaryOperator<String> text) {
    if (node.isTextual()) {
      return TextNode.valueOf(text.apply(node.asText()));
    }
    if (node instanceof ObjectNode o) {
      List<String> fields = new ArrayList<>();
      o.fieldNames().forEachRemaining(fields::add);
      fields.forEach(f -> o.set(f, renamed(o.get(f), text)));
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        a.set(i, renamed(a.get(i), text));
      }
    }
    return node;
  }

  /** {@code part} with every line it completes mapped; releases {@code part}. */
  HttpContent map(HttpContent part) {
    ByteBuf in = part.content();
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.readableBytes() + 64);
    for (int i = in.readerIndex(); i < in.writerIndex(); i++) {
      byte b = in.getByte(i);
      pending.write(b);
      if (b == '\n' || pending.size() >= MAX_LINE) {
        line(pending.toByteArray(), out);
        pending.reset();
      }
    }
    boolean last = part instanceof LastHttpContent;
    if (last && pending.size() > 0) {
      out.writeBytes(pending.toByteArray());
      pending.reset();
    }
    part.release();
    ByteBuf mapped = Unpooled.wrappedBuffer(out.toByteArray());
    return last ? new DefaultLastHttpContent(mapped) : new DefaultHttpContent(mapped);
  }

  private void line(byte[] line, ByteArrayOutputStream out) {
    int end = line.length;
    while (end > 0 && (line[end - 1] == '\n' || line[end - 1] == '\r')) {
      end--;
    }
    if (end == 0 || line[end - 1] != '}') {
      out.writeBytes(line);
      return;
    }
    try {
      out.writeBytes(DockerJson.write(mapping.apply(DockerJson.parse(Arrays.copyOf(line, end)))));
      out.writeBytes(Arrays.copyOfRange(line, end, line.length));
    } catch (RequestException e) {
      out.writeBytes(line);
    }
  }
}
