package dev.berth.proxy;

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
import java.util.Arrays;

/**
 * The event stream ({@code GET /events}) in the caller's names, as it passes.
 *
 * <p>The daemon writes one JSON object a line and flushes each (moby's events route encodes every
 * event with {@code json.Encoder}); each complete line is parsed, given back the caller's names
 * ({@link Decision.FollowUp.MapEvents}) and written on at once, so the stream is never held back. A
 * line not complete yet waits for the next part of the answer (at most {@value #MAX_LINE} bytes,
 * then it goes on unchanged); a line that is not JSON goes on unchanged.
 */
final class EventLines {
  private static final int MAX_LINE = 1024 * 1024;

  private final Decision.FollowUp.MapEvents mapping;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

  EventLines(Decision.FollowUp.MapEvents mapping) {
    this.mapping = mapping;
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
      out.writeBytes(
          DockerJson.write(mapping.event().apply(DockerJson.parse(Arrays.copyOf(line, end)))));
      out.writeBytes(Arrays.copyOfRange(line, end, line.length));
    } catch (RequestException e) {
      out.writeBytes(line);
    }
  }
}
