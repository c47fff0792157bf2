package dev.berth.policy.docker;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.RequestException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * are PAX records that would override ownership, and anything that is not a tar (the daemon would
 * transparently decompress gzip, bzip2 or xz, so a compressed stream would hide its headers: the
 * proxy decompresses before this class sees the stream, see its {@code ArchiveUpload}). Entry data
 * passes through untouched, so the stream keeps its length.
 *
 * <p>Entry names and sizes are read as the daemon's Go {@code archive/tar} reads them: a PAX {@code
 * size} record gives the next entry's size (else berth and the daemon would disagree on where the
 * next header starts), a PAX {@code path} or GNU long name gives its name.
 *
 * <p>An image archive ({@code docker load}, with {@link TagEntries}) is read the same way, and its
 * tag-bearing entries ({@code manifest.json}, {@code repositories}, {@code index.json} at the
 * archive's root, by their name as the daemon cleans it) are held whole (bounded), handed to {@link
 * TagEntries#rewrite} and forwarded as berth re-serialised them, with a header of their new size:
 * what the daemon reads its tags from is what berth judged. Such an entry must be a regular file
 * without a PAX size, no entry may be written through an earlier link of the archive (a symlink
 * {@code d -> .} would make {@code d/manifest.json} the root's), and PAX global headers are
 * refused. A refusal stops the stream before its end-of-archive blocks, so the daemon reads a
 * truncated archive and loads nothing. Other entries (layers, configs, blobs) pass as streamed.
 *
 * <p>Not thread-safe: one instance per request body.
 */
public final class TarSanitizer {
  private static final String COMPRESSED =
      "archive: not a tar archive "
          + "(berth accepts a plain tar, or one compressed with gzip or bzip2)";
  private static final int BLOCK = 512;

  /** The largest entry berth relays: far beyond any real file, far below where sizes overflow. */
  static final long MAX_ENTRY_SIZE = 1L << 50;

  /**
   * A file's creation time, which commons-compress (docker-java's archives) writes; Go's
   * archive/tar keeps it uninterpreted and moby reads only {@code SCHILY.xattr.*} from PAX records,
   * so it passes (other {@code LIBARCHIVE.*} records, such as its xattrs, do not).
   */
  private static final String CREATION_TIME = "LIBARCHIVE.creationtime";

  private static final int MAX_EXTENSION = 1 << 20;
  private static final int MAX_TAG_ENTRY = 8 << 20;

  private final int uid;
  private final int gid;
  private final @Nullable TagEntries tagEntries;

  /** Headers keep the owners and modes they came with ({@link #tagsOnly}). */
  private final boolean keepHeaders;

  private final byte[] header = new byte[BLOCK];
  private int headerFill;

  /** Bytes of entry data (including padding) still to pass through unchanged. */
  private long dataRemaining;

  /** When inside a PAX or GNU long-name block, its content is collected here to be inspected. */
  private @Nullable ByteArrayOutputStream extension;

  private long extensionRemaining;
  private long extensionPadding;
  private boolean pax;
  private byte extensionType;

  /** The next entry's name from a GNU long-name block or a PAX path record, or null. */
  private @Nullable String pendingName;

  /** The next entry's size from a PAX size record, or -1. */
  private long pendingSize = -1;

  /** Names (cleaned) of the link entries of an image archive, seen so far. */
  private final Set<String> links = new HashSet<>();

  /** A tag-bearing entry being held: its cleaned name, rewritten header and content so far. */
  private @Nullable String tagName;

  private byte @Nullable [] tagHeader;
  private @Nullable ByteArrayOutputStream tagContent;
  private long tagRemaining;

  /** Bytes of the input to drop (the padding of a held entry, forwarded as berth writes it). */
  private long skipRemaining;

  private boolean sawEnd;
  private boolean sawHeader;

  /** A build context's state (see {@link #forBuildContext}), or null. */
  private final @Nullable ContextCopy context;

  public TarSanitizer(int uid, int gid) {
    this(uid, gid, null);
  }

  private TarSanitizer(ContextCopy context) {
    this.uid = -1;
    this.gid = -1;
    this.tagEntries = null;
    this.context = context;
    this.keepHeaders = true;
  }

  /**
   * A reader of a classic build's context ({@code POST /build}) that rewrites nothing: entries pass
   * as sent, while the entry the daemon would read as the Dockerfile ({@code dockerfile}, the
   * request's parameter, cleaned; for the default {@code Dockerfile} also {@code dockerfile}) and
   * {@code .dockerignore} are copied (the last of each name, as extraction leaves it; at most
   * {@value #MAX_CONTEXT_COPY} bytes each). The end-of-archive marker is held and whatever follows
   * it dropped: the stream ends with what {@link #contextTail} writes once the Dockerfile was
   * judged.
   *
   * <p>Design note. Ownership is not rewritten: the daemon extracts a build context into its own
   * directory ({@code /var/lib/docker/tmp}, root's, mode 0700; moby {@code
   * remotecontext.FromArchive}), never through a user's bind mount, and what a build copies from it
   * into an image (owners, modes, setuid bits) a {@code RUN} step could equally make; so {@code
   * docker cp}'s sanitising is not needed and would change the image. Entry types the daemon reads
   * without data (links, directories, devices, FIFOs) are framed without data, as Go's {@code
   * archive/tar} frames them; sparse entries are refused (their framing differs).
   */
  public static TarSanitizer forBuildContext(String dockerfile) {
    return new TarSanitizer(new ContextCopy(clean(dockerfile)));
  }

  /** The most berth copies of a build context's Dockerfile or {@code .dockerignore}. */
  public static final int MAX_CONTEXT_COPY = 1 << 20;

  /** What a build context's reader copies. */
  private static final class ContextCopy {
    final String dockerfile;
    final Map<String, byte @Nullable []> last = new HashMap<>();
    @Nullable String capturing;
    @Nullable ByteArrayOutputStream copy;
    long copyRemaining;
    boolean ended;

    /** The padding of the last data entry (a stream may end inside it, as Go's reader allows). */
    long padding;

    ContextCopy(String dockerfile) {
      this.dockerfile = dockerfile;
    }

    boolean wanted(String name) {
      return name.equals(dockerfile)
          || name.equals(".dockerignore")
          || (dockerfile.equals("Dockerfile") && name.equals("dockerfile"));
    }
  }

  /**
   * A sanitizer that also rewrites the tag-bearing entries of an image archive.
   *
   * @param tagEntries which entries bear tags and how they are rewritten, or null for none
   */
  public TarSanitizer(int uid, int gid, @Nullable TagEntries tagEntries) {
    this(uid, gid, tagEntries, false);
  }

  private TarSanitizer(int uid, int gid, @Nullable TagEntries tagEntries, boolean keepHeaders) {
    this.uid = uid;
    this.gid = gid;
    this.tagEntries = tagEntries;
    this.context = null;
    this.keepHeaders = keepHeaders;
  }

  /**
   * A reader of an image archive the daemon wrote ({@code docker save}, on its way to the caller)
   * that rewrites only the tag-bearing entries: every other header passes as the daemon wrote it.
   */
  public static TarSanitizer tagsOnly(TagEntries tagEntries) {
    return new TarSanitizer(-1, -1, tagEntries, true);
  }

  /** The entries of an image archive that name tags, and their rewrite. */
  public interface TagEntries {
    /** Whether the entry at {@code name} (cleaned, relative to the archive's root) bears tags. */
    boolean isTagEntry(String name);

    /**
     * The content to forward instead of {@code content} for the entry {@code name}.
     *
     * @throws RequestException when the entry is refused (a tag that cannot be the caller's) or
     *     cannot be parsed
     */
    byte[] rewrite(String name, byte[] content) throws RequestException;
  }

  /**
   * Where {@link #next(ByteBuffer, Output)} puts what may be forwarded, in stream order: runs of
   * the input that pass unchanged (entry data, extension records) and rewritten headers.
   */
  public interface Output {
    /** {@code length} bytes of the input from {@code offset} (relative to its position) pass. */
    void input(int offset, int length);

    /**
     * Bytes berth wrote itself: a rewritten (or end-of-archive) 512-byte header block, or a
     * rewritten tag entry of an image archive (its header, content and padding).
     */
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
      if (context != null && context.ended) {
        if (run >= 0) {
          out.input(run, i - run);
          run = -1;
        }
        i = length; // after the end marker: dropped, berth writes the archive's end
      } else if (extension != null) {
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
        if (context != null && context.copy != null && context.copyRemaining > 0) {
          int c = (int) Math.min(n, context.copyRemaining);
          byte[] part = new byte[c];
          in.get(base + i, part);
          context.copy.write(part, 0, c);
          context.copyRemaining -= c;
          if (context.copyRemaining == 0) {
            context.last.put(requireNonNull(context.capturing), context.copy.toByteArray());
            context.copy = null;
          }
        }
        run = run < 0 ? i : run;
        i += n;
        dataRemaining -= n;
      } else {
        if (run >= 0) {
          out.input(run, i - run);
          run = -1;
        }
        ByteArrayOutputStream held = tagContent;
        if (held != null) {
          int n = (int) Math.min(tagRemaining, length - i);
          byte[] part = new byte[n];
          in.get(base + i, part);
          held.write(part, 0, n);
          i += n;
          tagRemaining -= n;
          if (tagRemaining == 0) {
            skipRemaining = padded(held.size()) - held.size();
            out.header(rewrittenTagEntry());
          }
        } else if (skipRemaining > 0) {
          int n = (int) Math.min(skipRemaining, length - i);
          i += n;
          skipRemaining -= n;
        } else {
          int n = Math.min(BLOCK - headerFill, length - i);
          in.get(base + i, header, headerFill, n);
          headerFill += n;
          i += n;
          if (headerFill == BLOCK) {
            headerFill = 0;
            byte[] block = processHeader();
            if (block != null) {
              out.header(block);
            }
          }
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
    if (context != null
        && headerFill == 0
        && dataRemaining <= context.padding
        && extension == null
        && context.copy == null) {
      return; // ended at an entry's end (the CLI's -f - sends no end marker): berth ends it
    }
    if (headerFill != 0
        || dataRemaining != 0
        || extension != null
        || tagContent != null
        || skipRemaining != 0) {
      throw RequestException.bad("archive: truncated tar stream");
    }
    if (!sawHeader && context == null) {
      throw RequestException.bad("archive: empty tar stream");
    }
  }

  /**
   * The build context's Dockerfile as the daemon would read it (after the stream ended well).
   *
   * @throws RequestException with the daemon's own words when there is none
   */
  public byte[] contextDockerfile() throws RequestException {
    ContextCopy c = requireNonNull(context, "a build context");
    String name = c.dockerfile;
    if (!c.last.containsKey(name)
        && name.equals("Dockerfile")
        && c.last.containsKey("dockerfile")) {
      name = "dockerfile";
    }
    if (!c.last.containsKey(name)) {
      throw RequestException.bad("Cannot locate specified Dockerfile: " + c.dockerfile);
    }
    byte[] content = c.last.get(name);
    if (content == null) {
      throw RequestException.bad(
          "the Dockerfile "
              + name
              + " is not a regular file in the build context (a link or a"
              + " directory); berth reads the Dockerfile from the archive: send it as a file");
    }
    if (content.length == 0) {
      throw RequestException.bad("the Dockerfile (" + c.dockerfile + ") cannot be empty");
    }
    return content;
  }

  /**
   * The end of a build context as berth forwards it: a {@code .dockerignore} that also lists {@code
   * entry} (so the daemon removes berth's Dockerfile from the context once it read it, as it does
   * for the CLI's {@code -f -}), the entry {@code entry} holding {@code dockerfile}, and the
   * end-of-archive marker.
   */
  public byte[] contextTail(String entry, byte[] dockerfile) throws RequestException {
    ContextCopy c = requireNonNull(context, "a build context");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    // the last entry's padding when the stream ended inside it (docker's ReplaceFileTarWrapper,
    // used by the CLI for -f -, closes its pipe before its tar writer pads and ends the archive)
    out.writeBytes(new byte[(int) dataRemaining]);
    dataRemaining = 0;
    byte[] ignore;
    if (c.last.containsKey(".dockerignore")) {
      byte[] was = c.last.get(".dockerignore");
      if (was == null) {
        throw RequestException.bad(
            "the build context's .dockerignore is not a regular file (a link or a directory)");
      }
      ignore =
          (new String(was, StandardCharsets.UTF_8) + "\n" + entry + "\n")
              .getBytes(StandardCharsets.UTF_8);
    } else {
      ignore = (".dockerignore\n" + entry + "\n").getBytes(StandardCharsets.UTF_8);
    }
    out.writeBytes(regularEntry(".dockerignore", ignore));
    out.writeBytes(regularEntry(entry, dockerfile));
    out.writeBytes(new byte[2 * BLOCK]);
    return out.toByteArray();
  }

  /** Whether a build context's end-of-archive marker arrived (everything after it is dropped). */
  public boolean contextEnded() {
    return context != null && context.ended;
  }

  private static byte[] regularEntry(String name, byte[] content) {
    byte[] h = new byte[BLOCK];
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(n, 0, h, 0, Math.min(n.length, 100));
    writeOctal(h, 100, 8, 0644);
    writeOctal(h, 108, 8, 0);
    writeOctal(h, 116, 8, 0);
    writeOctal(h, 124, 12, content.length);
    writeOctal(h, 136, 12, 0);
    h[156] = '0';
    byte[] magic = "ustar\u000000".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(magic, 0, h, 257, magic.length);
    writeChecksum(h);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(h);
    out.writeBytes(content);
    out.writeBytes(new byte[(int) (padded(content.length) - content.length)]);
    return out.toByteArray();
  }

  /** The rewritten header block to forward now, or null while a tag entry is being held. */
  private byte @Nullable [] processHeader() throws RequestException {
    if (isZero(header)) {
      if (context != null) {
        context.ended = true; // held: berth writes the archive's end after its Dockerfile
        return null;
      }
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
    boolean extensionEntry = type == 'x' || type == 'g' || type == 'L' || type == 'K';
    long size = parseNumber(124, 12);
    String name = "";
    long paxSize = -1;
    if (!extensionEntry) {
      name = clean(pendingName != null ? pendingName : ustarName());
      paxSize = pendingSize;
      size = paxSize >= 0 ? paxSize : size;
      pendingName = null;
      pendingSize = -1;
    }
    if (size > MAX_ENTRY_SIZE) {
      // near 2^63 the padded size would overflow: berth would see no data where the daemon
      // reads a huge entry, and the two would disagree on where the next header starts
      throw RequestException.bad("archive: an entry of " + size + " bytes is too large");
    }
    boolean tagEntry = false;
    if (tagEntries != null) {
      if (type == 'g') {
        throw RequestException.bad(
            "archive: PAX global headers are not allowed in an image archive");
      }
      if (!extensionEntry) {
        tagEntry = judgeImageArchiveEntry(type, name, paxSize);
      }
    }
    if (context != null) {
      return contextHeader(type, name, size, extensionEntry);
    }
    switch (type) {
      case '0', 0, '7' -> dataRemaining = tagEntry ? 0 : padded(size);
      case '1', '2', '5' -> dataRemaining = 0; // header-only types, as Go's archive/tar reads them
      case 'x', 'g', 'L', 'K' -> startExtension(type, size);
      default ->
          throw RequestException.bad(
              "archive: entry type '"
                  + printable(type)
                  + "' (devices, FIFOs, sparse files) is not allowed");
    }
    if (!keepHeaders) {
      // Ownership is the caller's; no setuid, setgid or sticky bits; names cleared.
      long mode = parseNumber(100, 8) & 0777;
      writeOctal(100, 8, mode);
      writeOctal(108, 8, uid);
      writeOctal(116, 8, gid);
      Arrays.fill(header, 265, 265 + 32, (byte) 0);
      Arrays.fill(header, 297, 297 + 32, (byte) 0);
      Arrays.fill(header, 329, 329 + 16, (byte) 0); // device numbers
      writeChecksum();
    }
    if (tagEntry) {
      if (size > MAX_TAG_ENTRY) {
        throw RequestException.bad(
            "archive: " + name + " is larger than " + MAX_TAG_ENTRY + " bytes");
      }
      tagName = name;
      tagHeader = header.clone();
      tagContent = new ByteArrayOutputStream((int) size);
      tagRemaining = size;
      return size == 0 ? rewrittenTagEntry() : null;
    }
    return header.clone();
  }

  /** An extended header (PAX or GNU long name): its data is collected, not passed on. */
  private void startExtension(byte type, long size) throws RequestException {
    if (size > MAX_EXTENSION) {
      throw RequestException.bad("archive: extended header larger than " + MAX_EXTENSION);
    }
    pax = type == 'x' || type == 'g';
    extensionType = type;
    if (size == 0) {
      dataRemaining = 0;
    } else {
      extension = new ByteArrayOutputStream((int) size);
      extensionRemaining = size;
      extensionPadding = padded(size) - size;
    }
  }

  /** A build context's header: passes as sent; the Dockerfile's and .dockerignore's data copied. */
  private byte[] contextHeader(byte type, String name, long size, boolean extensionEntry)
      throws RequestException {
    ContextCopy c = requireNonNull(context);
    c.padding = 0;
    switch (type) {
      case '0', 0, '7' -> {
        dataRemaining = padded(size);
        c.padding = padded(size) - size;
      }
      case '1', '2', '3', '4', '5', '6' -> dataRemaining = 0; // Go: header-only types
      case 'x', 'g', 'L', 'K' -> startExtension(type, size);
      default ->
          throw RequestException.bad(
              "archive: entry type '"
                  + printable(type)
                  + "' (sparse files) is not allowed in a build context");
    }
    if (!extensionEntry && c.wanted(name)) {
      c.copy = null;
      if (type == '0' || type == 0 || type == '7') {
        if (size > MAX_CONTEXT_COPY) {
          throw RequestException.bad(
              "archive: " + name + " is larger than " + MAX_CONTEXT_COPY + " bytes");
        }
        c.capturing = name;
        c.copyRemaining = size;
        if (size == 0) {
          c.last.put(name, new byte[0]);
        } else {
          c.copy = new ByteArrayOutputStream((int) size);
        }
      } else {
        c.last.put(name, null);
      }
    }
    return header.clone();
  }

  /**
   * Checks an entry of an image archive; true when it bears tags (then held and rewritten).
   *
   * @param paxSize the size a PAX record gave it, or -1
   */
  private boolean judgeImageArchiveEntry(byte type, String name, long paxSize)
      throws RequestException {
    TagEntries entries = requireNonNull(tagEntries);
    for (int slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) {
      if (links.contains(name.substring(0, slash))) {
        throw RequestException.bad(
            "archive: " + name + " is written through the link " + name.substring(0, slash));
      }
    }
    boolean tags = entries.isTagEntry(name);
    if (type == '1' || type == '2') {
      links.add(name);
    }
    if (!tags) {
      return false;
    }
    if (type != '0' && type != 0 && type != '7') {
      throw RequestException.bad("archive: " + name + " must be a regular file");
    }
    if (paxSize >= 0) {
      throw RequestException.bad("archive: " + name + " may not carry a PAX size");
    }
    return true;
  }

  /** The held tag entry as berth forwards it: its header with the new size, content, padding. */
  private byte[] rewrittenTagEntry() throws RequestException {
    byte[] block = requireNonNull(tagHeader);
    byte[] content =
        requireNonNull(tagEntries)
            .rewrite(requireNonNull(tagName), requireNonNull(tagContent).toByteArray());
    tagContent = null;
    tagHeader = null;
    tagName = null;
    writeOctal(block, 124, 12, content.length);
    writeChecksum(block);
    ByteArrayOutputStream out = new ByteArrayOutputStream(BLOCK + (int) padded(content.length));
    out.writeBytes(block);
    out.writeBytes(content);
    out.writeBytes(new byte[(int) (padded(content.length) - content.length)]);
    return out.toByteArray();
  }

  /** The entry's name from its header: {@code prefix/name} in the POSIX ustar format. */
  private String ustarName() {
    String name = field(0, 100);
    boolean posix =
        header[257] == 'u'
            && header[258] == 's'
            && header[259] == 't'
            && header[260] == 'a'
            && header[261] == 'r'
            && header[262] == 0;
    String prefix = posix ? field(345, 155) : "";
    return prefix.isEmpty() ? name : prefix + "/" + name;
  }

  private String field(int offset, int length) {
    int end = offset;
    while (end < offset + length && header[end] != 0) {
      end++;
    }
    return new String(header, offset, end - offset, StandardCharsets.UTF_8);
  }

  /**
   * A name as the daemon places it under the directory it extracts to (Go's {@code path.Clean} of
   * the name below a root): no {@code .}, {@code ..} or empty components, no leading slash.
   */
  static String clean(String name) {
    List<String> parts = new ArrayList<>();
    for (String p : name.split("/", -1)) {
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        if (!parts.isEmpty()) {
          parts.remove(parts.size() - 1);
        }
      } else {
        parts.add(p);
      }
    }
    return String.join("/", parts);
  }

  private void inspectExtension(byte[] content) throws RequestException {
    if (!pax) {
      // GNU long name or link name: a path, judged by the daemon like any other
      if (extensionType == 'L') {
        int end = 0;
        while (end < content.length && content[end] != 0) {
          end++;
        }
        pendingName = new String(content, 0, end, StandardCharsets.UTF_8);
      }
      return;
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
      if (context != null) {
        if (key.startsWith("GNU.sparse")) {
          throw RequestException.bad("archive: PAX record '" + key + "' is not allowed");
        }
      } else if (key.equals("uid")
          || key.equals("gid")
          || key.equals("uname")
          || key.equals("gname")
          || key.startsWith("GNU.sparse")
          || key.startsWith("SCHILY.")
          || (key.startsWith("LIBARCHIVE.") && !key.equals(CREATION_TIME))) {
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
      int end = advanceBytes(text, pos, len);
      if (extensionType == 'x' && end - 1 > eq) {
        String value = text.substring(eq + 1, end - 1);
        if (key.equals("path")) {
          pendingName = value;
        } else if (key.equals("size")) {
          try {
            pendingSize = Long.parseLong(value);
          } catch (NumberFormatException e) {
            throw RequestException.bad("archive: malformed PAX size");
          }
          if (pendingSize < 0) {
            throw RequestException.bad("archive: malformed PAX size");
          }
        }
      }
      pos = end;
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
    return checksum(header);
  }

  private static long checksum(byte[] block) {
    long sum = 0;
    for (int i = 0; i < BLOCK; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : (block[i] & 0xff);
    }
    return sum;
  }

  private void writeChecksum() {
    writeChecksum(header);
  }

  private static void writeChecksum(byte[] block) {
    long sum = checksum(block);
    String s = String.format("%06o", sum);
    for (int i = 0; i < 6; i++) {
      block[148 + i] = (byte) s.charAt(i);
    }
    block[154] = 0;
    block[155] = ' ';
  }

  private void writeOctal(int offset, int length, long value) {
    writeOctal(header, offset, length, value);
  }

  /**
   * Writes {@code value} as octal digits, or, when it does not fit (a uid or gid of 2^21 or more:
   * directory users from SSSD or AD), in GNU base-256 as GNU tar and Go's archive/tar write it and
   * the daemon's reader reads it.
   */
  private static void writeOctal(byte[] block, int offset, int length, long value) {
    String s = Long.toOctalString(value);
    if (s.length() > length - 1) {
      long v = value;
      for (int i = length - 1; i > 0; i--) {
        block[offset + i] = (byte) v;
        v >>>= 8;
      }
      block[offset] = (byte) 0x80;
      return;
    }
    s = "0".repeat(length - 1 - s.length()) + s;
    for (int i = 0; i < length - 1; i++) {
      block[offset + i] = (byte) s.charAt(i);
    }
    block[offset + length - 1] = 0;
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
