package dev.berth.proxy;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.RequestException;
import dev.berth.policy.docker.TarSanitizer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.compression.Bzip2Decompressor;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.compression.Decompressor;
import io.netty.handler.codec.compression.JdkZlibDecompressor;
import io.netty.handler.codec.compression.ZlibWrapper;
import org.jspecify.annotations.Nullable;

/**
 * The body of an archive upload ({@code PUT /containers/{id}/archive}: {@code docker cp} into a
 * container, an SDK's copy) on its way to the daemon: decompressed when it is compressed, then
 * rewritten by the {@link TarSanitizer}, and forwarded as a plain tar.
 *
 * <p>Design note. dockerd accepts a plain tar or one compressed with gzip, bzip2 or xz there (moby
 * {@code pkg/archive} {@code DecompressStream}, chosen by the stream's first bytes, as {@code
 * DetectCompression} does; 23.0 and later also zstd), and docker-java's {@code withHostResource}
 * sends gzip. berth must see every tar header to give each entry to the caller, so it decompresses
 * on the way and forwards the plain tar it rewrote, with chunked framing (its length is unknown
 * when the request head goes out). Both kinds go through the sanitizer's zero-copy form ({@code
 * TarSanitizer.next(ByteBuffer, Output)}): what is forwarded is slices of the buffer the bytes
 * arrived in (the client's own for a plain tar, the decoder's for a compressed one) around berth's
 * rewritten header blocks, so a plain tar costs no copy. gzip and bzip2 are decoded by Netty's
 * {@link Decompressor}s, which hand out at most {@link #PIECE} bytes at a time and take more input
 * only once their output was taken: {@link #next()} returns about one piece, the caller forwards
 * it, waits until it is written, then asks for the next, so memory stays bounded (a few pieces)
 * however much a stream expands. A compression bomb is refused once the tar exceeds {@link
 * #FREE_BYTES} and {@link #MAX_RATIO} times the compressed bytes received. xz and zstd are refused
 * with their name (send a plain tar or gzip): the pure-Java decoders (org.tukaani:xz,
 * aircompressor's zstd) are pull {@code InputStream}s, which on an event loop would need a blocking
 * thread per upload or the whole stream buffered, and zstd-jni is native code; no client we know
 * sends them by default (the docker CLI sends a plain tar, docker-java gzip), so two such
 * dependencies are not worth it.
 *
 * <p>Not thread-safe: one instance per request body, used on its connection's event loop.
 */
final class ArchiveUpload implements AutoCloseable {
  /** The most a decompressor hands out at once. */
  static final int PIECE = 64 * 1024;

  /** The tar may grow this large whatever its compression ratio. */
  static final long FREE_BYTES = 64L << 20;

  /** Beyond {@link #FREE_BYTES}, the most the tar may expand over the compressed bytes. */
  static final long MAX_RATIO = 200;

  /** Enough of the stream's start to tell its format (xz's magic is the longest). */
  private static final int MAGIC = 6;

  private final TarSanitizer tar;
  private final ByteBufAllocator alloc;

  /** The stream's first bytes, until its format is known. */
  private @Nullable ByteBuf head;

  private @Nullable Format format;

  /** Decodes a compressed stream; null for a plain tar or before the format is known. */
  private @Nullable Decompressor decoder;

  /** Plain tar bytes waiting for {@link #next()}. */
  private @Nullable ByteBuf pending;

  private boolean inputEnded;
  private boolean endSignalled;
  private boolean finished;
  private boolean closed;
  private long compressedBytes;
  private long tarBytes;

  /** The formats dockerd detects; this proxy decodes the first three. */
  enum Format {
    TAR("tar"),
    GZIP("gzip"),
    BZIP2("bzip2"),
    XZ("xz"),
    ZSTD("zstd");

    final String label;

    Format(String label) {
      this.label = label;
    }
  }

  ArchiveUpload(TarSanitizer tar, ByteBufAllocator alloc) {
    this.tar = tar;
    this.alloc = alloc;
  }

  /**
   * The next piece of the client's body. Call only once {@link #next()} returned null.
   *
   * @param in the piece; ownership passes to this upload
   * @param last whether it ends the body
   */
  void add(ByteBuf in, boolean last) throws RequestException {
    if (closed) {
      in.release();
      return;
    }
    compressedBytes += in.readableBytes();
    inputEnded = last;
    if (format == null) {
      if (head == null) {
        head = in;
      } else {
        ByteBuf joined = alloc.heapBuffer().writeBytes(head).writeBytes(in);
        head.release();
        in.release();
        head = joined;
      }
      if (head.readableBytes() < MAGIC && !last) {
        return;
      }
      start(head);
      head = null;
      return;
    }
    feed(in);
  }

  /** The tar reader (a build context's held Dockerfile and end are read from it). */
  TarSanitizer tar() {
    return tar;
  }

  /** The format, once the first bytes told it (null before). */
  @Nullable Format format() {
    return format;
  }

  private void start(ByteBuf first) throws RequestException {
    format = detect(first);
    switch (format) {
      case TAR -> {
        feed(first);
        return;
      }
      case GZIP ->
          decoder =
              JdkZlibDecompressor.builder()
                  .wrapper(ZlibWrapper.GZIP)
                  .maxAllocation(PIECE)
                  .decompressConcatenated(true)
                  .build(alloc);
      case BZIP2 -> decoder = Bzip2Decompressor.builder().outputBufferSize(PIECE).build(alloc);
      case XZ, ZSTD -> {
        first.release();
        throw RequestException.bad(
            "archive: "
                + format.label
                + "-compressed archives are not "
                + "accepted by berth (it rewrites every entry's owner and decodes gzip and bzip2 "
                + "only); send a plain tar or gzip");
      }
      default -> throw new IllegalStateException(format.name());
    }
    feed(first);
  }

  private void feed(ByteBuf in) throws RequestException {
    if (decoder == null) {
      pending = in;
      return;
    }
    try {
      if (decoder.status() == Decompressor.Status.COMPLETE) {
        boolean extra = in.isReadable();
        in.release();
        if (extra) {
          throw RequestException.bad("archive: data after the end of the " + label() + " stream");
        }
        return;
      }
      decoder.addInput(in);
    } catch (DecompressionException e) {
      throw corrupt(e);
    }
  }

  /**
   * The next piece of plain, rewritten tar to forward (ownership passes to the caller), or null
   * when more input is needed (or, after the last input, when the tar ended well).
   *
   * @throws RequestException when the stream is refused (not a tar, corrupt, a bomb, truncated)
   */
  @Nullable ByteBuf next() throws RequestException {
    if (closed || finished || format == null) {
      return null;
    }
    CompositeByteBuf out = alloc.compositeBuffer(Integer.MAX_VALUE);
    boolean ready = false;
    try {
      ready = decoder == null ? take(out) : decode(out);
    } catch (DecompressionException e) {
      throw corrupt(e);
    } finally {
      if (!ready) {
        out.release();
      }
    }
    return ready ? out : finishIfEnded();
  }

  /** Puts the plain tar's pending input, rewritten, into {@code out}; false when none is ready. */
  private boolean take(CompositeByteBuf out) throws RequestException {
    ByteBuf in = pending;
    pending = null;
    if (in == null) {
      return false;
    }
    try {
      tarBytes += in.readableBytes();
      rewrite(tar, in, out);
    } finally {
      in.release();
    }
    return out.isReadable();
  }

  /**
   * Puts about one piece of the decoded tar, rewritten, into {@code out}; false when the decoder
   * needs input or the stream ended.
   */
  private boolean decode(CompositeByteBuf out) throws RequestException {
    Decompressor d = requireNonNull(decoder);
    while (true) {
      Decompressor.Status status = d.status();
      if (status == Decompressor.Status.NEED_OUTPUT) {
        ByteBuf piece = d.takeOutput();
        try {
          tarBytes += piece.readableBytes();
          checkRatio();
          rewrite(tar, piece, out);
        } finally {
          piece.release();
        }
        if (out.readableBytes() >= PIECE) {
          return true;
        }
      } else if (out.isReadable()) {
        return true; // what is ready goes first; the status is asked again
      } else if (status == Decompressor.Status.COMPLETE || !inputEnded) {
        return false;
      } else if (endSignalled) {
        throw RequestException.bad("archive: truncated " + label() + " stream");
      } else {
        endSignalled = true;
        d.endOfInput();
      }
    }
  }

  /**
   * Appends {@code in} as {@code tar} rewrites it to {@code out}: runs that pass unchanged as
   * retained slices of {@code in}, rewritten headers as berth's own blocks. Also the answer side's
   * way ({@link SavedArchive}).
   */
  static void rewrite(TarSanitizer tar, ByteBuf in, CompositeByteBuf out) throws RequestException {
    int base = in.readerIndex();
    tar.next(
        in.nioBuffer(),
        new TarSanitizer.Output() {
          @Override
          public void input(int offset, int length) {
            out.addComponent(true, in.retainedSlice(base + offset, length));
          }

          @Override
          public void header(byte[] block) {
            out.addComponent(true, Unpooled.wrappedBuffer(block));
          }
        });
  }

  private @Nullable ByteBuf finishIfEnded() throws RequestException {
    if (inputEnded) {
      finished = true;
      tar.finish();
    }
    return null;
  }

  private void checkRatio() throws RequestException {
    if (tarBytes > FREE_BYTES && tarBytes > MAX_RATIO * compressedBytes) {
      throw RequestException.bad(
          "archive: the "
              + label()
              + " stream expands more than "
              + MAX_RATIO
              + " times ("
              + compressedBytes
              + " bytes became more than "
              + tarBytes
              + "): refused as a compression bomb; send the tar uncompressed");
    }
  }

  private RequestException corrupt(DecompressionException e) {
    return RequestException.bad("archive: corrupt " + label() + " stream (" + e.getMessage() + ")");
  }

  /** The format's name for messages. */
  private String label() {
    return format == null ? "compressed" : format.label;
  }

  /** Tells the format by the stream's first bytes, as dockerd does. */
  static Format detect(ByteBuf b) {
    if (starts(b, 0x1f, 0x8b, 0x08)) {
      return Format.GZIP;
    }
    if (starts(b, 'B', 'Z', 'h')) {
      return Format.BZIP2;
    }
    if (starts(b, 0xfd, '7', 'z', 'X', 'Z', 0x00)) {
      return Format.XZ;
    }
    if (starts(b, 0x28, 0xb5, 0x2f, 0xfd)) {
      return Format.ZSTD;
    }
    return Format.TAR;
  }

  private static boolean starts(ByteBuf b, int... magic) {
    if (b.readableBytes() < magic.length) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if (b.getUnsignedByte(b.readerIndex() + i) != magic[i]) {
        return false;
      }
    }
    return true;
  }

  /** Releases the decoder and what it buffered; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (head != null) {
      head.release();
      head = null;
    }
    if (pending != null) {
      pending.release();
      pending = null;
    }
    if (decoder != null) {
      decoder.close();
    }
  }
}
