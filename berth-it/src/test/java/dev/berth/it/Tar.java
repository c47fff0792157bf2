package dev.berth.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/** Minimal ustar writer, for archives with headers a normal tar tool would not write. */
final class Tar {
  private static final int BLOCK = 512;

  private Tar() {}

  /** An archive with one regular file, with exactly the given mode, uid and gid. */
  static byte[] singleFile(String name, byte[] content, int mode, int uid, int gid) {
    byte[] h = new byte[BLOCK];
    put(h, 0, 100, name);
    octal(h, 100, 8, mode);
    octal(h, 108, 8, uid);
    octal(h, 116, 8, gid);
    octal(h, 124, 12, content.length);
    octal(h, 136, 12, 0);
    for (int i = 148; i < 156; i++) {
      h[i] = ' '; // checksum field counts as spaces while summing
    }
    h[156] = '0'; // regular file
    put(h, 257, 6, "ustar");
    put(h, 263, 2, "00");
    put(h, 265, 32, uid == 0 ? "root" : "");
    put(h, 297, 32, gid == 0 ? "root" : "");
    int sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    String chk = String.format("%06o", sum);
    put(h, 148, 6, chk);
    h[154] = 0;
    h[155] = ' ';
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(h);
    out.writeBytes(content);
    out.writeBytes(new byte[(BLOCK - content.length % BLOCK) % BLOCK]);
    out.writeBytes(new byte[2 * BLOCK]);
    return out.toByteArray();
  }

  /** The archive compressed with gzip, as docker-java's {@code withHostResource} sends it. */
  static byte[] gzip(byte[] tar) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(tar);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void put(byte[] h, int off, int len, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, off, Math.min(len, b.length));
  }

  /** Zero-padded octal, NUL-terminated, filling the field. */
  private static void octal(byte[] h, int off, int len, long v) {
    String s = Long.toOctalString(v);
    s = "0".repeat(len - 1 - s.length()) + s;
    put(h, off, len - 1, s);
    h[off + len - 1] = 0;
  }
}
