package dev.berth.policy.docker;

import dev.berth.policy.RequestException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Rewrites a tar stream on its way to {@code PUT /containers/{id}/archive} ({@code docker cp}) so
 * that every entry belongs to the caller and carries no special bits.
 *
 * <p>Design note. dockerd extracts the archive as root inside the container's mount namespace,
 * following the container's bind mounts, and applies each header's uid, gid and mode bits,
 * including setuid, and creates device nodes (moby {@code createTarFile}). A user who may bind
 * their home could therefore {@code docker cp} a setuid-root shell or a raw disk device into their
 * home on the host. The {@code copyUIDGID} query cannot help: with a numeric {@code User} it fails
 * on 20.10 and 26.x. So berth parses the stream itself, one 512-byte header at a time, and forwards
 * headers it rewrote: uid and gid become the caller's, user and group names are cleared, mode keeps
 * only the permission bits, and the checksum is recomputed. Entry types other than files,
 * directories, links and the PAX/GNU name extensions are refused (devices, FIFOs, sparse files), as
 * are PAX records that would override ownership, and anything that is not an uncompressed tar (the
 * daemon would transparently decompress gzip, so a compressed stream would otherwise hide its
 * headers). Entry data passes through untouched, so the stream keeps its length and its
 * Content-Length.
 *
 * <p>Not thread-safe: one instance per request body.
 */
public final class TarSanitizer {
  private static final String COMPRESSED =
      "archive: not an uncompressed tar archive "
          + "(compressed archives are refused; send a plain tar)";
  private static final int BLOCK = 512;
  private static final int MAX_EXTENSION = 1 << 20;

  private final int uid;
  private final int gid;
  private final byte[] header = new byte[BLOCK];
  private int headerFill;

  /** Bytes of entry data (including padding) still to pass through unchanged. */
  private long dataRemaining;

  /** When inside a PAX or GNU long-name block, its content is collected here to be inspected. */
  private @Nullable ByteArrayOutputStream extension;

  private long extensionRemaining;
  private long extensionPadding;
  private boolean pax;
  private boolean sawEnd;
  private boolean sawHeader;

  public TarSanitizer(int uid, int gid) {
    this.uid = uid;
    this.gid = gid;
  }

  /**
   * Where {@link #next(ByteBuffer, Output)} puts what may be forwarded, in stream order: runs of
   * the input that pass unchanged (entry data, extension records) and rewritten headers.
   */
  public interface Output {
    /** {@code length} bytes of the input from {@code offset} (relative to its position) pass. */
    void input(int offset, int length);

    /** A rewritten (or end-of-archive) 512-byte header block, berth's own copy. */
    void header(byte[] block);
  }

  /**
   * Feeds the next piece of the stream and returns what may be forwarded now (possibly less than
   * was fed, when a header is incomplete).
   *
   * @throws RequestException when the stream is not an acceptable tar archive
   */
  public byte[] next(byte[] in) throws RequestException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + BLOCK);
    next(
        ByteBuffer.wrap(in),
        new Output() {
          @Override
          public void input(int offset, int length) {
            out.write(in, offset, length);
          }

          @Override
          public void header(byte[] block) {
            out.writeBytes(block);
          }
        });
    return out.toByteArray();
  }

  /**
   * Feeds the next piece of the stream without copying what passes unchanged: entry data is named
   * as ranges of {@code in}, which the caller forwards from its own buffer; only header blocks are
   * copied (to be rewritten). {@code in}'s position is not moved.
   *
   * @throws RequestException when the stream is not an acceptable tar archive
   */
  public void next(ByteBuffer in, Output out) throws RequestException {
    int base = in.position();
    int length = in.remaining();
    int i = 0;
    int run = -1; // start of the pending run of input that passes unchanged
    while (i < length) {
      if (extension != null) {
        int n = (int) Math.min(extensionRemaining, length - i);
        byte[] part = new byte[n];
        in.get(base + i, part);
        extension.write(part, 0, n);
        run = i; // the extension's own header ended the previous run
        i += n;
        extensionRemaining -= n;
        if (extensionRemaining == 0) {
          inspectExtension(extension.toByteArray());
          extension = null;
          dataRemaining = extensionPadding;
        }
      } else if (dataRemaining > 0) {
        int n = (int) Math.min(dataRemaining, length - i);
        run = run < 0 ? i : run;
        i += n;
        dataRemaining -= n;
      } else {
        if (run >= 0) {
          out.input(run, i - run);
          run = -1;
        }
        int n = Math.min(BLOCK - headerFill, length - i);
        in.get(base + i, header, headerFill, n);
        headerFill += n;
        i += n;
        if (headerFill == BLOCK) {
          headerFill = 0;
          out.header(processHeader());
        }
      }
    }
    if (run >= 0) {
      out.input(run, i - run);
    }
  }

  /**
   * Ends the stream.
   *
   * @throws RequestException when the stream ended inside an entry or a header
   */
  public void finish() throws RequestException {
    if (!sawHeader && headerFill >= 2 && header[0] == (byte) 0x1f && header[1] == (byte) 0x8b) {
      throw RequestException.bad(COMPRESSED); // a gzip stream shorter than one tar block
    }
    if (headerFill != 0 || dataRemaining != 0 || extension != null) {
      throw RequestException.bad("archive: truncated tar stream");
    }
    if (!sawHeader) {
      throw RequestException.bad("archive: empty tar stream");
    }
  }

  private byte[] processHeader() throws RequestException {
    if (isZero(header)) {
      sawEnd = true; // end-of-archive blocks pass through
      return header.clone();
    }
    if (sawEnd) {
      throw RequestException.bad("archive: data after the end-of-archive marker");
    }
    if (!checksumValid()) {
      throw RequestException.bad(sawHeader ? "archive: corrupt tar header" : COMPRESSED);
    }
    sawHeader = true;
    byte type = header[156];
    long size = parseNumber(124, 12);
    switch (type) {
      case '0', 0, '7' -> dataRemaining = padded(size);
      case '1', '2', '5' -> dataRemaining = padded(size);
      case 'x', 'g', 'L', 'K' -> {
        if (size > MAX_EXTENSION) {
          throw RequestException.bad("archive: extended header larger than " + MAX_EXTENSION);
        }
        pax = type == 'x' || type == 'g';
        if (size == 0) {
          dataRemaining = 0;
        } else {
          extension = new ByteArrayOutputStream((int) size);
          extensionRemaining = size;
          extensionPadding = padded(size) - size;
        }
      }
      default ->
          throw RequestException.bad(
              "archive: entry type '"
                  + printable(type)
                  + "' (devices, FIFOs, sparse files) is not allowed");
    }
    // Ownership is the caller's; no setuid, setgid or sticky bits; names cleared.
    long mode = parseNumber(100, 8) & 0777;
    writeOctal(100, 8, mode);
    writeOctal(108, 8, uid);
    writeOctal(116, 8, gid);
    Arrays.fill(header, 265, 265 + 32, (byte) 0);
    Arrays.fill(header, 297, 297 + 32, (byte) 0);
    Arrays.fill(header, 329, 329 + 16, (byte) 0); // device numbers
    writeChecksum();
    return header.clone();
  }

  private void inspectExtension(byte[] content) throws RequestException {
    if (!pax) {
      return; // GNU long name or link name: a path, judged by the daemon like any other
    }
    // PAX records: "<len> <key>=<value>\n"
    String text = new String(content, StandardCharsets.UTF_8);
    int pos = 0;
    while (pos < text.length()) {
      int space = text.indexOf(' ', pos);
      int eq = text.indexOf('=', space);
      if (space < 0 || eq < 0) {
        throw RequestException.bad("archive: malformed PAX header");
      }
      String key = text.substring(space + 1, eq);
      if (key.equals("uid")
          || key.equals("gid")
          || key.equals("uname")
          || key.equals("gname")
          || key.startsWith("GNU.sparse")
          || key.startsWith("SCHILY.")
          || key.startsWith("LIBARCHIVE.")) {
        throw RequestException.bad("archive: PAX record '" + key + "' is not allowed");
      }
      int len;
      try {
        len = Integer.parseInt(text.substring(pos, space));
      } catch (NumberFormatException e) {
        throw RequestException.bad("archive: malformed PAX header");
      }
      if (len <= 0) {
        throw RequestException.bad("archive: malformed PAX header");
      }
      // Lengths count bytes; the records berth accepts are ASCII keys, so advance by bytes.
      pos = advanceBytes(text, pos, len);
    }
  }

  private static int advanceBytes(String text, int from, int bytes) throws RequestException {
    int consumed = 0;
    int i = from;
    while (consumed < bytes && i < text.length()) {
      int cp = text.codePointAt(i);
      consumed += new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      i += Character.charCount(cp);
    }
    if (consumed != bytes) {
      throw RequestException.bad("archive: malformed PAX header");
    }
    return i;
  }

  private boolean checksumValid() {
    long stored;
    try {
      stored = parseNumber(148, 8);
    } catch (RequestException e) {
      return false;
    }
    return stored == checksum();
  }

  private long checksum() {
    long sum = 0;
    for (int i = 0; i < BLOCK; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : (header[i] & 0xff);
    }
    return sum;
  }

  private void writeChecksum() {
    long sum = checksum();
    String s = String.format("%06o", sum);
    for (int i = 0; i < 6; i++) {
      header[148 + i] = (byte) s.charAt(i);
    }
    header[154] = 0;
    header[155] = ' ';
  }

  private void writeOctal(int offset, int length, long value) {
    String s = Long.toOctalString(value);
    if (s.length() > length - 1) {
      throw new IllegalArgumentException("value does not fit the tar field");
    }
    s = "0".repeat(length - 1 - s.length()) + s;
    for (int i = 0; i < length - 1; i++) {
      header[offset + i] = (byte) s.charAt(i);
    }
    header[offset + length - 1] = 0;
  }

  /** A numeric field: octal (space or NUL terminated) or GNU base-256. */
  private long parseNumber(int offset, int length) throws RequestException {
    if ((header[offset] & 0x80) != 0) {
      if ((header[offset] & 0x40) != 0) {
        throw RequestException.bad("archive: negative number in tar header");
      }
      long v = header[offset] & 0x3f;
      for (int i = 1; i < length; i++) {
        if (v > (Long.MAX_VALUE >> 8)) {
          throw RequestException.bad("archive: number too large in tar header");
        }
        v = (v << 8) | (header[offset + i] & 0xff);
      }
      return v;
    }
    long v = 0;
    int i = offset;
    int end = offset + length;
    while (i < end && (header[i] == ' ' || header[i] == 0)) {
      i++;
    }
    if (i == end) {
      return 0;
    }
    // At most 12 octal digits (36 bits): the value cannot overflow.
    for (; i < end && header[i] != 0 && header[i] != ' '; i++) {
      int d = header[i] - '0';
      if (d < 0 || d > 7) {
        throw RequestException.bad("archive: invalid number in tar header");
      }
      v = (v << 3) | d;
    }
    return v;
  }

  private static long padded(long size) {
    return (size + BLOCK - 1) / BLOCK * BLOCK;
  }

  private static boolean isZero(byte[] block) {
    for (byte b : block) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private static String printable(byte b) {
    return b >= 0x21 && b < 0x7f ? Character.toString((char) b) : String.format("\\x%02x", b);
  }
}
