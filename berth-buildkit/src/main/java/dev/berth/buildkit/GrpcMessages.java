package dev.berth.buildkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;

/**
 * gRPC's length-prefixed messages on one stream (a compressed-flag byte, a 4-byte length, the
 * message; grpc {@code doc/PROTOCOL-HTTP2.md}), cut out of the HTTP/2 DATA frames they arrive in,
 * which need not line up with them. Compressed messages and messages over the limit are refused
 * before their bytes are held.
 */
final class GrpcMessages {
  private final ByteBuf held = Unpooled.buffer();
  private final int max;

  GrpcMessages(int max) {
    this.max = max;
  }

  /** The messages {@code data} completes, in order. */
  List<byte[]> add(ByteBuf data) throws BadFrame {
    held.writeBytes(data, data.readerIndex(), data.readableBytes());
    List<byte[]> out = new ArrayList<>();
    while (held.readableBytes() >= 5) {
      if (held.getByte(held.readerIndex()) != 0) {
        throw new BadFrame("compressed gRPC messages are not accepted");
      }
      long length = held.getUnsignedInt(held.readerIndex() + 1);
      if (length > max) {
        throw new BadFrame("gRPC messages are limited to " + max + " bytes");
      }
      if (held.readableBytes() < 5 + length) {
        break;
      }
      byte[] message = new byte[(int) length];
      held.skipBytes(5).readBytes(message);
      out.add(message);
    }
    held.discardReadBytes();
    return out;
  }

  /** Whether part of a message is held (the stream may not end here). */
  boolean partial() {
    return held.isReadable();
  }

  void release() {
    held.release();
  }

  /** {@code message} with its gRPC prefix. */
  static ByteBuf frame(ByteBufAllocator alloc, byte[] message) {
    return alloc
        .buffer(5 + message.length)
        .writeByte(0)
        .writeInt(message.length)
        .writeBytes(message);
  }

  /** A message berth does not accept at this layer. */
  static final class BadFrame extends Exception {
    private static final long serialVersionUID = 1L;

    BadFrame(String message) {
      super(message, null, false, false);
    }
  }
}
