package dev.berth.proxy;

import dev.berth.policy.RequestException;
import dev.berth.policy.docker.TarSanitizer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The answer of {@code docker save} ({@code GET /images/{name}/get}, {@code /images/get}) on its
 * way to the caller, its tag-bearing entries given back the caller's names ({@link
 * dev.berth.policy.Decision.FollowUp.ShowArchiveNames}).
 *
 * <p>The archive goes through {@link TarSanitizer#tagsOnly} part by part, as it arrives: what
 * passes unchanged (layers, blobs, configs, every header) is relayed as slices of the daemon's own
 * buffers, only the rewritten entries ({@code manifest.json}, {@code repositories}, {@code
 * index.json}, each at most 8 MiB) are held and written by berth, so nothing is spooled. The
 * archive's length changes, so the answer goes out chunked (the daemon sends it chunked anyway). An
 * archive berth cannot read ends the answer early: the caller's {@code docker save} fails on a
 * truncated archive rather than receive names it should not.
 *
 * <p>Not thread-safe: one instance per answer, used on its connection's event loop.
 */
final class SavedArchive {
  private final TarSanitizer tar;
  private final ByteBufAllocator alloc;

  SavedArchive(TarSanitizer tar, ByteBufAllocator alloc) {
    this.tar = tar;
    this.alloc = alloc;
  }

  /**
   * {@code part} as relayed: the bytes that may go out now. Releases {@code part}.
   *
   * @throws RequestException when the archive cannot be read (the answer must end here)
   */
  HttpContent map(HttpContent part) throws RequestException {
    ByteBuf in = part.content();
    CompositeByteBuf out = alloc.compositeBuffer();
    try {
      ArchiveUpload.rewrite(tar, in, out);
      if (part instanceof LastHttpContent) {
        tar.finish();
      }
    } catch (RequestException | RuntimeException e) {
      out.release();
      throw e;
    } finally {
      part.release();
    }
    return part instanceof LastHttpContent
        ? new DefaultLastHttpContent(out)
        : new DefaultHttpContent(out);
  }
}
