package dev.berth.proxy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.enforce.Enforcement;
import dev.berth.policy.Decision;
import dev.berth.policy.ListElements;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.DockerJson;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;

/**
 * An answer berth holds back until it is complete: a successful {@code system df} (rewritten for
 * the caller), a list or inspect in the caller's names (a list read as a stream of elements, {@link
 * DockerJson#mapList}), a created exec (claimed for the caller before the caller learns its id),
 * and an error whose message is given back the caller's names ({@link Decision.AnswerNames}; never
 * claimed).
 */
final class HeldAnswer {
  /** The most of an answer berth holds back. */
  static final int MAX_HELD_ANSWER = 16 * 1024 * 1024;

  private final HttpResponse head;
  private final ByteBufAllocator alloc;
  private final CompositeByteBuf body;

  private HeldAnswer(HttpResponse head, ByteBufAllocator alloc) {
    this.head = head;
    this.alloc = alloc;
    this.body = alloc.compositeBuffer(1024);
  }

  /** Whether this answer to a request with {@code followUp} and {@code names} is held back. */
  static boolean holds(HttpResponse resp, Decision.FollowUp followUp, Decision.AnswerNames names) {
    if (resp.status().code() >= 400) {
      return !names.equals(Decision.AnswerNames.AS_IS);
    }
    return resp.status().code() / 100 == 2
        && (followUp instanceof Decision.FollowUp.FilterResponse
            || followUp instanceof Decision.FollowUp.MapNames
            || followUp instanceof Decision.FollowUp.ClaimExec);
  }

  static HeldAnswer of(HttpResponse head, ByteBufAllocator alloc) {
    return new HeldAnswer(head, alloc);
  }

  /** Adds a part of the body; false (and everything released) when it grows too large. */
  boolean add(HttpContent c) {
    if (body.readableBytes() + c.content().readableBytes() > MAX_HELD_ANSWER) {
      c.release();
      release();
      return false;
    }
    body.addComponent(true, c.content().retain());
    c.release();
    return true;
  }

  /** The complete answer: filtered, or with its exec claimed first. Releases what it held. */
  FullHttpResponse complete(
      Decision.FollowUp followUp, Decision.AnswerNames names, Enforcement enforcement)
      throws RequestException {
    byte[] bytes = new byte[body.readableBytes()];
    body.readBytes(bytes);
    release();
    byte[] out = bytes;
    if (head.status().code() >= 400) {
      return full(errorMessage(bytes, names));
    }
    switch (followUp) {
      case Decision.FollowUp.FilterResponse f ->
          out = DockerJson.write(f.filter().apply(DockerJson.parse(bytes)));
      case Decision.FollowUp.MapNames m -> {
        ListElements elements = m.elements();
        if (elements != null) {
          return full(mappedList(bytes, elements, m));
        }
        out = DockerJson.write(m.mapping().apply(DockerJson.parse(bytes)));
      }
      case Decision.FollowUp.ClaimExec c -> {
        try {
          enforcement.claim(c, head.status().code(), Enforcement.createdId(bytes));
        } catch (Enforcement.ClaimException e) {
          throw RequestException.bad(String.valueOf(e.getMessage()));
        }
      }
      default -> {}
    }
    return full(out);
  }

  /** A list answer mapped straight into a pooled buffer (released if the answer is refused). */
  private ByteBuf mappedList(byte[] bytes, ListElements elements, Decision.FollowUp.MapNames m)
      throws RequestException {
    ByteBuf out = alloc.buffer(bytes.length);
    try {
      DockerJson.mapList(bytes, elements, m.mapping(), new ByteBufOutputStream(out));
      return out;
    } catch (RequestException | RuntimeException e) {
      out.release();
      throw e;
    }
  }

  private FullHttpResponse full(byte[] out) {
    return full(Unpooled.wrappedBuffer(out));
  }

  private FullHttpResponse full(ByteBuf out) {
    FullHttpResponse full = new DefaultFullHttpResponse(head.protocolVersion(), head.status(), out);
    full.headers().set(head.headers());
    full.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
    full.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, out.readableBytes());
    return full;
  }

  /**
   * The daemon's error with its message in the caller's names; anything that is not Docker's {@code
   * {"message": ...}} goes out as it came.
   */
  private static byte[] errorMessage(byte[] bytes, Decision.AnswerNames names) {
    try {
      if (DockerJson.parse(bytes) instanceof ObjectNode o && o.path("message").isTextual()) {
        ObjectNode out = o.deepCopy();
        out.put("message", names.message().apply(o.path("message").asText()));
        return DockerJson.write(out);
      }
    } catch (RequestException e) {
      // not JSON: relayed as it is
    }
    return bytes;
  }

  void release() {
    if (body.refCnt() > 0) {
      body.release();
    }
  }
}
