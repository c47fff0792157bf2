package dev.berth.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.RequestException;
import dev.berth.policy.docker.TarSanitizer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.compression.Bzip2Encoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Archive uploads: decompressed, rewritten, forwarded as a plain tar; bombs and odd formats
 * refused.
 */
class ArchiveUploadTest {
  private static final int UID = 1001;
  private static final int GID = 1002;

  /** A ustar header block as Go's archive/tar writes one. */
  private static byte[] header(String name, long mode, int uid, long size) {
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, String.format("%07o", mode));
    put(h, 108, String.format("%07o", uid));
    put(h, 116, String.format("%07o", uid));
    put(h, 124, String.format("%011o", size));
    put(h, 136, String.format("%011o", 0));
    h[156] = '0';
    put(h, 257, "ustar");
    put(h, 263, "00");
    put(h, 265, "root");
    put(h, 297, "root");
    long sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += i >= 148 && i < 156 ? ' ' : h[i] & 0xff;
    }
    put(h, 148, String.format("%06o", sum));
    h[155] = ' ';
    return h;
  }

  private static void put(byte[] h, int off, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, off, b.length);
  }

  /** A tar with one file of the given content. */
  private static byte[] tar(String name, long mode, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header(name, mode, 0, content.length));
    out.writeBytes(content);
    out.writeBytes(new byte[(512 - content.length % 512) % 512]);
    out.writeBytes(new byte[1024]);
    return out.toByteArray();
  }

  private static byte[] gzip(byte[] in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(in);
    }
    return out.toByteArray();
  }

  private static byte[] bzip2(byte[] in) {
    EmbeddedChannel ch = new EmbeddedChannel(new Bzip2Encoder());
    ch.writeOutbound(Unpooled.wrappedBuffer(in));
    ch.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteBuf b = ch.readOutbound(); b != null; b = ch.readOutbound()) {
      byte[] bytes = new byte[b.readableBytes()];
      b.readBytes(bytes);
      b.release();
      out.writeBytes(bytes);
    }
    return out.toByteArray();
  }

  /** What the daemon receives, and the largest piece forwarded at once. */
  private record Forwarded(byte[] tar, int largestPiece) {}

  private static Forwarded run(byte[] body, int chunk) throws RequestException {
    try (ArchiveUpload up =
        new ArchiveUpload(new TarSanitizer(UID, GID), UnpooledByteBufAllocator.DEFAULT)) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int largest = 0;
      for (int i = 0; i < body.length || i == 0; i += chunk) {
        boolean last = i + chunk >= body.length;
        up.add(
            Unpooled.wrappedBuffer(Arrays.copyOfRange(body, i, Math.min(body.length, i + chunk))),
            last);
        for (ByteBuf piece = up.next(); piece != null; piece = up.next()) {
          largest = Math.max(largest, piece.readableBytes());
          out.writeBytes(ByteBufUtil.getBytes(piece));
          piece.release();
        }
      }
      return new Forwarded(out.toByteArray(), largest);
    }
  }

  private static long octal(byte[] block, int off, int len) {
    String s = new String(block, off, len, StandardCharsets.US_ASCII).replace("\0", "").trim();
    return Long.parseLong(s, 8);
  }

  @Test
  void add_gzipTarWithSetuidRootEntry_forwardedPlainAndNeutralised() throws Exception {
    byte[] plain = tar("rootsh", 04755, "#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII));
    for (int chunk : new int[] {1, 5, 8192}) {
      byte[] out = run(gzip(plain), chunk).tar();
      assertThat(out).hasSameSizeAs(plain);
      assertThat(octal(out, 100, 8)).isEqualTo(0755);
      assertThat(octal(out, 108, 8)).isEqualTo(UID);
      assertThat(octal(out, 116, 8)).isEqualTo(GID);
      assertThat(new String(out, 512, 10, StandardCharsets.US_ASCII)).isEqualTo("#!/bin/sh\n");
    }
  }

  @Test
  void add_bzip2TarWithSetuidRootEntry_forwardedPlainAndNeutralised() throws Exception {
    byte[] plain = tar("rootsh", 06755, "x".repeat(3000).getBytes(StandardCharsets.US_ASCII));
    byte[] out = run(bzip2(plain), 777).tar();
    assertThat(out).hasSameSizeAs(plain);
    assertThat(octal(out, 100, 8)).isEqualTo(0755);
    assertThat(octal(out, 108, 8)).isEqualTo(UID);
  }

  @Test
  void add_plainTar_rewrittenSameLength() throws Exception {
    byte[] plain = tar("f", 04700, new byte[10]);
    byte[] out = run(plain, 100).tar();
    assertThat(out).hasSameSizeAs(plain);
    assertThat(octal(out, 100, 8)).isEqualTo(0700);
  }

  @Test
  void add_plainTar_entryDataForwardedFromTheClientsBuffer() throws Exception {
    byte[] plain = tar("f", 0644, "abc".getBytes(StandardCharsets.US_ASCII));
    ByteBuf client = Unpooled.wrappedBuffer(plain);
    try (ArchiveUpload up =
        new ArchiveUpload(new TarSanitizer(UID, GID), UnpooledByteBufAllocator.DEFAULT)) {
      up.add(client.retain(), true);
      ByteBuf piece = up.next();
      assertThat(piece).isNotNull();
      client.setByte(512, 'X'); // the entry's data, after the sanitizer saw it
      assertThat(piece.getByte(512)).isEqualTo((byte) 'X'); // a slice, not a copy
      assertThat(piece.refCnt()).isEqualTo(1);
      piece.release();
      assertThat(up.next()).isNull();
    } finally {
      client.release();
    }
    assertThat(client.refCnt()).isZero(); // every slice released
  }

  @Test
  void add_concatenatedGzipMembers_readAsOneStream() throws Exception {
    byte[] plain = tar("f", 0644, new byte[700]);
    byte[] a = gzip(Arrays.copyOfRange(plain, 0, 1000));
    byte[] b = gzip(Arrays.copyOfRange(plain, 1000, plain.length));
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    assertThat(run(both, 64).tar()).hasSameSizeAs(plain); // as Go's gzip reader (multistream)
  }

  @Test
  void add_gzipBomb_refusedAsCompressionBomb() throws Exception {
    byte[] bomb = gzip(tar("zeros", 0644, new byte[80 << 20]));
    assertThat(bomb.length).isLessThan(200_000);
    assertThatThrownBy(() -> run(bomb, 8192))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("compression bomb");
  }

  @Test
  void add_highlyCompressedTarBelowTheFreeSize_forwardedInBoundedPieces() throws Exception {
    byte[] plain = tar("zeros", 0644, new byte[8 << 20]);
    Forwarded out = run(gzip(plain), 8192);
    assertThat(out.tar()).hasSameSizeAs(plain);
    assertThat(out.largestPiece()).isLessThanOrEqualTo(2 * ArchiveUpload.PIECE);
  }

  @Test
  void add_xzStream_refusedNamingTheFormat() {
    byte[] xz = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0, 1, 2, 3};
    assertThatThrownBy(() -> run(xz, 100)).hasMessageContaining("xz-compressed archives");
  }

  @Test
  void add_zstdStream_refusedNamingTheFormat() {
    byte[] zstd = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 0, 0};
    assertThatThrownBy(() -> run(zstd, 100)).hasMessageContaining("zstd-compressed archives");
  }

  @Test
  void add_truncatedGzip_refused() throws Exception {
    byte[] gz = gzip(tar("f", 0644, new byte[5000]));
    byte[] cut = Arrays.copyOf(gz, gz.length - 6);
    assertThatThrownBy(() -> run(cut, 512))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("archive:");
  }

  @Test
  void add_corruptGzip_refused() throws Exception {
    byte[] noise = new byte[20_000];
    new Random(7).nextBytes(noise);
    byte[] gz = gzip(tar("f", 0644, noise));
    gz[gz.length / 2] ^= 0x55;
    assertThatThrownBy(() -> run(gz, 512))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("archive:");
  }

  @Test
  void add_gzipOfSomethingElse_refusedAsNotATar() throws Exception {
    byte[] gz =
        gzip(
            "just some text, no tar headers at all".repeat(20).getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> run(gz, 512)).hasMessageContaining("not a tar archive");
  }

  @Test
  void add_dataAfterTheBzip2Stream_refused() throws Exception {
    byte[] bz = bzip2(tar("f", 0644, new byte[10]));
    byte[] more = Arrays.copyOf(bz, bz.length + 600);
    assertThatThrownBy(() -> run(more, bz.length)).hasMessageContaining("after the end");
  }

  @Test
  void add_shortStream_detectedAtItsEnd() {
    assertThatThrownBy(() -> run(new byte[] {0x1f, (byte) 0x8b}, 1))
        .isInstanceOf(RequestException.class);
  }
}
