package dev.berth.policy.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.RequestException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class TarSanitizerTest {

  /** Builds a ustar header block the way Go's archive/tar writes one. */
  static byte[] header(String name, char type, long mode, int uid, int gid, long size) {
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, String.format("%07o", mode));
    put(h, 108, String.format("%07o", uid));
    put(h, 116, String.format("%07o", gid));
    put(h, 124, String.format("%011o", size));
    put(h, 136, String.format("%011o", 0));
    h[156] = (byte) type;
    put(h, 257, "ustar");
    h[262] = 0;
    put(h, 263, "00");
    put(h, 265, "root");
    put(h, 297, "root");
    return rechecksum(h);
  }

  private static void put(byte[] h, int off, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, off, b.length);
  }

  static byte[] tar(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    out.writeBytes(new byte[1024]);
    return out.toByteArray();
  }

  static byte[] data(String s) {
    byte[] d = new byte[512];
    put(d, 0, s);
    return d;
  }

  private static byte[] run(byte[] in, int chunk) throws RequestException {
    TarSanitizer t = new TarSanitizer(1001, 1002);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < in.length; i += chunk) {
      byte[] piece = Arrays.copyOfRange(in, i, Math.min(in.length, i + chunk));
      out.writeBytes(t.next(piece));
    }
    t.finish();
    return out.toByteArray();
  }

  /** The same stream through the buffer API, as the relay feeds it: direct pieces, in place. */
  private static byte[] runInPlace(byte[] in, int chunk) throws RequestException {
    TarSanitizer t = new TarSanitizer(1001, 1002);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < in.length; i += chunk) {
      int n = Math.min(in.length, i + chunk) - i;
      ByteBuffer piece = ByteBuffer.allocateDirect(n + 7).position(7);
      piece.put(in, i, n).position(7);
      t.next(
          piece,
          new TarSanitizer.Output() {
            @Override
            public void input(int offset, int length) {
              assertThat(offset).isNotNegative();
              assertThat(offset + length).isLessThanOrEqualTo(n);
              byte[] b = new byte[length];
              piece.get(7 + offset, b);
              out.writeBytes(b);
            }

            @Override
            public void header(byte[] block) {
              assertThat(block).hasSize(512);
              out.writeBytes(block);
            }
          });
      assertThat(piece.position()).isEqualTo(7);
    }
    t.finish();
    return out.toByteArray();
  }

  private static long octal(byte[] block, int off, int len) {
    String s = new String(block, off, len, StandardCharsets.US_ASCII).replace("\0", "").trim();
    return Long.parseLong(s, 8);
  }

  @Test
  void next_inPlace_forwardsTheSameBytesAsTheCopyingFeed() throws Exception {
    byte[] pax = "31 path=a/very/long/name/x.txt\n".getBytes(StandardCharsets.US_ASCII);
    byte[] in =
        tar(
            header("suid", '0', 04755, 0, 0, 700),
            data("x"),
            data("y"),
            header("././@PaxHeader", 'x', 0644, 0, 0, pax.length),
            Arrays.copyOf(pax, 512),
            header("x.txt", '0', 0644, 0, 0, 3),
            data("abc"),
            header("d", '5', 02755, 0, 0, 0));
    byte[] expected = run(in, in.length);
    for (int chunk : new int[] {1, 7, 100, 511, 512, 513, 1500, in.length}) {
      assertThat(runInPlace(in, chunk)).as("pieces of %d", chunk).isEqualTo(expected);
    }
  }

  @Test
  void next_setuidRootFile_becomesCallersWithoutSpecialBits() throws Exception {
    byte[] in = tar(header("rootsh", '0', 04755, 0, 0, 5), data("hello"));
    for (int chunk : new int[] {1, 7, 512, 100_000}) {
      byte[] out = run(in, chunk);
      assertThat(out).hasSameSizeAs(in);
      assertThat(octal(out, 100, 8)).isEqualTo(0755);
      assertThat(octal(out, 108, 8)).isEqualTo(1001);
      assertThat(octal(out, 116, 8)).isEqualTo(1002);
      assertThat(out[265]).isZero();
      assertThat(new String(out, 512, 5, StandardCharsets.US_ASCII)).isEqualTo("hello");
    }
  }

  @Test
  void next_rewrittenHeader_hasValidChecksum() throws Exception {
    byte[] out = run(tar(header("f", '0', 06777, 0, 0, 0)), 512);
    long sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : out[i] & 0xff;
    }
    assertThat(octal(out, 148, 7)).isEqualTo(sum);
  }

  @Test
  void next_blockDevice_refused() {
    assertThatThrownBy(() -> run(tar(header("sda", '4', 0660, 0, 6, 0)), 512))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("entry type '4'");
  }

  @Test
  void next_charDeviceAndFifo_refused() {
    assertThatThrownBy(() -> run(tar(header("mem", '3', 0660, 0, 0, 0)), 512))
        .hasMessageContaining("not allowed");
    assertThatThrownBy(() -> run(tar(header("p", '6', 0660, 0, 0, 0)), 512))
        .hasMessageContaining("not allowed");
  }

  @Test
  void next_paxUidRecord_refused() {
    String rec = "12 uid=0000\n";
    byte[] pax = data(rec);
    assertThatThrownBy(
            () ->
                run(
                    tar(
                        header("PaxHeaders/f", 'x', 0644, 0, 0, rec.length()),
                        pax,
                        header("f", '0', 0644, 0, 0, 0)),
                    512))
        .hasMessageContaining("PAX record 'uid'");
  }

  @Test
  void next_paxPathRecord_accepted() throws Exception {
    String rec = "13 path=long\n";
    byte[] in =
        tar(
            header("PaxHeaders/f", 'x', 0644, 0, 0, rec.length()),
            data(rec),
            header("f", '0', 0644, 0, 0, 0));
    assertThat(run(in, 3)).hasSameSizeAs(in);
  }

  @Test
  void next_paxCreationTimeAsCommonsCompressWritesIt_accepted() throws Exception {
    String rec = "35 LIBARCHIVE.creationtime=1700000\n";
    byte[] in =
        tar(
            header("PaxHeaders/f", 'x', 0644, 0, 0, rec.length()),
            data(rec),
            header("f", '0', 0644, 0, 0, 0));
    assertThat(run(in, 7)).hasSameSizeAs(in);
  }

  @Test
  void next_paxLibarchiveXattr_refused() {
    String rec = "43 LIBARCHIVE.xattr.security.capability=AQ\n";
    assertThatThrownBy(
            () ->
                run(
                    tar(
                        header("PaxHeaders/f", 'x', 0644, 0, 0, rec.length()),
                        data(rec),
                        header("f", '0', 0644, 0, 0, 0)),
                    512))
        .hasMessageContaining("PAX record 'LIBARCHIVE.xattr.security.capability'");
  }

  @Test
  void next_gzipStream_refused() throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
      byte[] noise = new byte[4096];
      new Random(42).nextBytes(noise); // incompressible, so the stream spans blocks
      z.write(tar(header("rootsh", '0', 04755, 0, 0, noise.length), noise));
    }
    assertThatThrownBy(() -> run(gz.toByteArray(), 512)).hasMessageContaining("not a tar archive");
  }

  @Test
  void next_corruptChecksum_refused() {
    byte[] h = header("f", '0', 0644, 0, 0, 0);
    h[0] = 'g';
    assertThatThrownBy(() -> run(tar(h), 512)).hasMessageContaining("not a tar archive");
  }

  @Test
  void next_namesAndDeviceNumbersCleared() throws Exception {
    byte[] h = header("f", '0', 0644, 0, 0, 0);
    put(h, 329, "0000010");
    put(h, 337, "0000001");
    h = rechecksum(h);
    byte[] out = run(tar(h), 512);
    for (int i = 265; i < 345; i++) {
      assertThat(out[i]).as("byte %d", i).isZero();
    }
    assertThat(out[107]).isZero(); // mode field terminated
  }

  @Test
  void next_base256Size_followed() throws Exception {
    byte[] h = header("big", '0', 0644, 0, 0, 0);
    Arrays.fill(h, 124, 136, (byte) 0);
    h[124] = (byte) 0x80;
    h[135] = 5; // size 5 in GNU base-256
    byte[] in = tar(rechecksum(h), data("hello"));
    assertThat(run(in, 100)).hasSameSizeAs(in);
  }

  @Test
  void next_negativeBase256_refused() {
    byte[] h = header("neg", '0', 0644, 0, 0, 0);
    h[124] = (byte) 0xff;
    assertThatThrownBy(() -> run(tar(rechecksum(h)), 512)).hasMessageContaining("negative");
  }

  @Test
  void next_entryPadding_respected() throws Exception {
    // 513 bytes of data take two blocks; the next header starts at 1536
    byte[] big = new byte[1024];
    Arrays.fill(big, 0, 513, (byte) 'x');
    byte[] in = tar(header("a", '0', 0644, 0, 0, 513), big, header("b", '0', 04755, 0, 0, 0));
    byte[] out = run(in, 512);
    assertThat(octal(out, 1536 + 100, 8)).isEqualTo(0755);
  }

  @Test
  void next_dataAfterEndMarker_refused() {
    byte[] in = new byte[512 * 3];
    System.arraycopy(header("late", '0', 0644, 0, 0, 0), 0, in, 1024, 512);
    assertThatThrownBy(() -> run(in, 512)).hasMessageContaining("after the end-of-archive");
  }

  @Test
  void next_malformedPax_refused() {
    for (String rec : new String[] {"nonsense\n", "x path=a\n", "0 path=\n", "99 path=a\n"}) {
      assertThatThrownBy(
              () ->
                  run(
                      tar(
                          header("P/f", 'x', 0644, 0, 0, rec.length()),
                          data(rec),
                          header("f", '0', 0644, 0, 0, 0)),
                      512))
          .as(rec)
          .hasMessageContaining("PAX");
    }
  }

  @Test
  void next_globalPaxOwnership_refused() {
    String rec = "12 gid=0000\n";
    assertThatThrownBy(() -> run(tar(header("g", 'g', 0644, 0, 0, rec.length()), data(rec)), 512))
        .hasMessageContaining("PAX record 'gid'");
  }

  @Test
  void next_gnuLongNameWithUidText_accepted() throws Exception {
    String name = "12 uid=0000\n"; // a GNU long name is a path, not PAX records
    byte[] in =
        tar(
            header("././@LongLink", 'L', 0644, 0, 0, name.length()),
            data(name),
            header("f", '0', 0644, 0, 0, 0));
    assertThat(run(in, 512)).hasSameSizeAs(in);
  }

  @Test
  void next_hugeExtension_refused() {
    assertThatThrownBy(() -> run(tar(header("P/f", 'x', 0644, 0, 0, (1 << 20) + 1)), 512))
        .hasMessageContaining("extended header larger");
  }

  @Test
  void finish_emptyStream_refused() {
    assertThatThrownBy(() -> new TarSanitizer(1, 1).finish()).hasMessageContaining("empty");
  }

  private static byte[] rechecksum(byte[] h) {
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    put(h, 148, String.format("%06o", sum));
    h[154] = 0;
    return h;
  }

  @Test
  void finish_truncatedEntry_refused() {
    byte[] h = header("f", '0', 0644, 0, 0, 1000);
    TarSanitizer t = new TarSanitizer(1, 1);
    assertThatThrownBy(
            () -> {
              t.next(h);
              t.finish();
            })
        .hasMessageContaining("truncated");
  }

  /** Writes {@code value} into a numeric field in GNU base-256 (high bit of the first byte set). */
  private static void base256(byte[] h, int off, int len, long value) {
    long v = value;
    for (int i = off + len - 1; i > off; i--) {
      h[i] = (byte) v;
      v >>>= 8;
    }
    h[off] = (byte) 0x80;
  }

  private static void assertRewrittenSetuidHeaderAt(byte[] out, int offset) {
    assertThat(octal(out, offset + 100, 8)).as("mode of the header at %d", offset).isEqualTo(0755);
    assertThat(octal(out, offset + 108, 8)).as("uid of the header at %d", offset).isEqualTo(1001);
  }

  private static byte[] setuidRootShell() {
    return header("rootsh", '0', 04755, 0, 0, 0);
  }

  @Test
  void finish_gzipShorterThanOneBlock_refusedAsCompressed() throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
      z.write(tar(setuidRootShell()));
    }
    assertThat(gz.size()).isLessThan(512);
    assertThatThrownBy(() -> run(gz.toByteArray(), 512)).hasMessageContaining("not a tar archive");
    assertThatThrownBy(() -> run(new byte[] {0x1f, (byte) 0x8b}, 512))
        .hasMessageContaining("not a tar archive");
  }

  @Test
  void finish_shortStreamWithoutGzipMagic_refusedAsTruncated() {
    for (byte[] in : new byte[][] {{0x1f, 0x00}, {0x00, (byte) 0x8b}, {0x1f}}) {
      assertThatThrownBy(() -> run(in, 512))
          .as(Arrays.toString(in))
          .hasMessageContaining("truncated");
    }
  }

  @Test
  void finish_archiveEndingInGzipMagic_refusedAsTruncated() {
    byte[] whole = tar(header("f", '0', 0644, 0, 0, 0));
    byte[] in = Arrays.copyOf(whole, 512 + 2);
    in[512] = 0x1f;
    in[513] = (byte) 0x8b;
    assertThatThrownBy(() -> run(in, 512)).hasMessageContaining("truncated");
  }

  @Test
  void next_paxHeaderOfExactlyTheLimit_accepted() throws Exception {
    int size = 1 << 20;
    String prefix = size + " path=";
    String rec = prefix + "a".repeat(size - prefix.length() - 1) + "\n";
    byte[] pax = Arrays.copyOf(rec.getBytes(StandardCharsets.US_ASCII), size);
    byte[] in =
        tar(header("PaxHeaders/f", 'x', 0644, 0, 0, size), pax, header("f", '0', 0644, 0, 0, 0));
    assertThat(run(in, 65536)).hasSameSizeAs(in);
  }

  @Test
  void next_paxWithSeveralRecords_accepted() throws Exception {
    String recs = "13 path=long\n" + "16 linkpath=abc\n" + "20 mtime=1700000000\n";
    byte[] in =
        tar(
            header("PaxHeaders/f", 'x', 0644, 0, 0, recs.length()),
            data(recs),
            header("f", '0', 0644, 0, 0, 0));
    assertThat(run(in, 512)).hasSameSizeAs(in);
  }

  @Test
  void next_paxOwnershipInALaterRecord_refused() {
    for (String late :
        new String[] {"12 uid=0000\n", "15 uname=root\n", "26 SCHILY.xattr.user.x=1\n"}) {
      String recs = "13 path=long\n" + late;
      assertThatThrownBy(
              () ->
                  run(
                      tar(
                          header("PaxHeaders/f", 'x', 0644, 0, 0, recs.length()),
                          data(recs),
                          header("f", '0', 0644, 0, 0, 0)),
                      512))
          .as(late)
          .hasMessageContaining("is not allowed");
    }
  }

  @Test
  void next_base256SizeOfSeveralBytes_nextHeaderStillRewritten() throws Exception {
    byte[] h = header("big", '0', 0644, 0, 0, 0);
    base256(h, 124, 12, 513);
    byte[] in = tar(rechecksum(h), new byte[1024], setuidRootShell());
    byte[] out = run(in, 100);
    assertThat(out).hasSameSizeAs(in);
    assertRewrittenSetuidHeaderAt(out, 1536);
  }

  @Test
  void next_base256SizeBeyond63Bits_refused() {
    byte[] h = header("huge", '0', 0644, 0, 0, 0);
    base256(h, 124, 12, 5);
    h[125] = (byte) 0x80; // 2^87 + 5: more than 63 bits; berth must not read it as 5
    assertThatThrownBy(() -> run(tar(rechecksum(h), data("hello")), 512))
        .hasMessageContaining("number too large");
  }

  @Test
  void next_spacePaddedOctalSize_nextHeaderStillRewritten() throws Exception {
    byte[] h = header("old", '0', 0644, 0, 0, 0);
    put(h, 124, "       1001 "); // 513, the way old tars padded numeric fields
    byte[] in = tar(rechecksum(h), new byte[1024], setuidRootShell());
    byte[] out = run(in, 512);
    assertRewrittenSetuidHeaderAt(out, 1536);
  }

  @Test
  void next_octalSizeFillingTheWholeField_nextHeaderStillRewritten() throws Exception {
    byte[] h = header("full", '0', 0644, 0, 0, 0);
    put(h, 124, "000000001001"); // 12 digits, no terminator: the mtime field follows at once
    put(h, 136, "14000000000");
    byte[] in = tar(rechecksum(h), new byte[1024], setuidRootShell());
    byte[] out = run(in, 512);
    assertRewrittenSetuidHeaderAt(out, 1536);
  }

  @Test
  void next_entryOfWholeBlocksThenSetuidFile_setuidStripped() throws Exception {
    for (int size : new int[] {0, 512}) {
      byte[] in = tar(header("a", '0', 0644, 0, 0, size), new byte[size], setuidRootShell());
      byte[] out = run(in, 512);
      assertRewrittenSetuidHeaderAt(out, 512 + size);
    }
  }

  @Test
  void next_rewrittenHeader_keepsEveryOtherFieldByteForByte() throws Exception {
    byte[] h = header("n".repeat(100), '2', 0777, 0, 0, 0);
    put(h, 136, "14000000000"); // mtime
    put(h, 157, "l".repeat(100)); // link name
    put(h, 345, "p".repeat(155)); // prefix
    h = rechecksum(h);
    byte[] out = run(tar(h), 512);
    for (int i = 0; i < 512; i++) {
      boolean rewritten = (i >= 100 && i < 124) || (i >= 148 && i < 156) || (i >= 265 && i < 345);
      if (!rewritten) {
        assertThat(out[i]).as("byte %d", i).isEqualTo(h[i]);
      }
    }
  }

  @Test
  void next_idsOfSevenOctalDigits_written() throws Exception {
    int id = 07777777;
    TarSanitizer t = new TarSanitizer(id, id);
    byte[] out = t.next(tar(header("f", '0', 0644, 0, 0, 0)));
    t.finish();
    assertThat(new String(out, 108, 8, StandardCharsets.US_ASCII)).isEqualTo("7777777\0");
    assertThat(octal(out, 116, 8)).isEqualTo(id);
  }

  @Test
  void next_directoryUserIdsBeyondSevenOctalDigits_writtenInBase256() throws Exception {
    // SSSD maps AD users to uids up to 2,000,200,000: more than a 7-digit octal field holds, so
    // the owner is written the way GNU tar and Go write it (the daemon reads both)
    int id = 2_000_200_000;
    TarSanitizer t = new TarSanitizer(id, id + 1);
    byte[] out = t.next(tar(header("f", '0', 0644, 0, 0, 0)));
    t.finish();
    assertThat(out[108] & 0xff).isEqualTo(0x80);
    assertThat(base256Value(out, 108, 8)).isEqualTo(id);
    assertThat(base256Value(out, 116, 8)).isEqualTo(id + 1);
    byte[] back = new TarSanitizer(1, 1).next(out); // a valid header: its checksum holds
    assertThat(octal(back, 108, 8)).isEqualTo(1);
  }

  @Test
  void next_sizeNearLongMax_refusedNotWrappedToNoData() {
    // padded(2^63 - 100) would overflow to a negative length: berth would see no data where the
    // daemon reads a huge entry
    byte[] h = header("huge", '0', 0644, 0, 0, 0);
    base256(h, 124, 12, Long.MAX_VALUE - 100);
    assertThatThrownBy(() -> run(tar(rechecksum(h), setuidRootShell()), 512))
        .hasMessageContaining("too large");
  }

  private static long base256Value(byte[] block, int off, int len) {
    long v = block[off] & 0x3f;
    for (int i = off + 1; i < off + len; i++) {
      v = (v << 8) | (block[i] & 0xff);
    }
    return v;
  }

  @Test
  void next_unprintableEntryType_quotedEscaped() {
    assertThatThrownBy(() -> run(tar(header("del", (char) 0x7f, 0644, 0, 0, 0)), 512))
        .hasMessageContaining("entry type '\\x7f'");
    assertThatThrownBy(() -> run(tar(header("bang", '!', 0644, 0, 0, 0)), 512))
        .hasMessageContaining("entry type '!'");
  }
}
