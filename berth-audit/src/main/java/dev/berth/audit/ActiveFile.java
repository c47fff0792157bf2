package dev.berth.audit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The file the writer appends to, and its rotation (see {@link AuditLog} for the order of the steps
 * and why it is crash safe). Used by the writer thread only.
 *
 * <p>Design note. {@link #open} finds where the chain continues: at the file's last line, or, when
 * the file is missing or empty (a rotation cut short by a crash), at the last line of the newest
 * rotated file beside it. {@link #append} writes a batch and forces it; when either fails the file
 * is truncated back to where the batch began, so no half record stays behind to break the chain.
 * Rotation is two steps, {@link #renameActive} and {@link #createActive}, so that the writer can
 * anchor the rotated head between them and a failed creation is retried alone.
 *
 * <p>Durability and preallocation. A batch is acknowledged (its futures complete, and the proxy
 * forwards what waited for it) only after {@link FileChannel#force force(false)} returned, that is
 * {@code fdatasync(2)}: the batch's bytes and whatever metadata is needed to read them back (the
 * file size, the blocks' allocation) are on the device. {@code fsync(2)} would also flush the
 * timestamps, which the trail never needs; measured side by side it made no difference (see
 * docs/benchmarks.md), and {@code fdatasync} is the documented minimum. When the file grows, each
 * {@code fdatasync} must also commit the new size through the file system's journal, a second
 * device write per batch; so the file is preallocated: when a batch would run past the allocated
 * end, {@link #PREALLOCATE} zero bytes are written after it in the same write and forced with it,
 * and the next batches overwrite those zeros in place without changing the size (measured: 0.5–0.7×
 * the time per durable batch of a growing file). Zeros are written, not {@code fallocate}d: an
 * unwritten extent would need its own metadata update on the first write into it. The tail is cut
 * off before a rotation's rename and on close, so rotated files and a cleanly closed trail end with
 * their last record; after a crash the active file keeps it, {@link #open} finds the records' end
 * before it ({@link AuditFiles#dataEnd}) and the readers stop at it ({@link AuditFiles}). A record
 * holds no zero byte, so the tail cannot be mistaken for one. If the zeros cannot be written (a
 * full disk) the batch is kept without them: preallocation never fails a batch.
 */
final class ActiveFile implements AutoCloseable {
  /** Zero bytes written after a batch that runs past the allocated end of the file. */
  static final int PREALLOCATE = 1 << 20;

  private static final byte[] ZEROS = new byte[PREALLOCATE];

  private static final FileAttribute<?> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  /**
   * The opened file and the head of the chain it continues.
   *
   * @param file the active file
   * @param head the newest record of the trail, in this file or the newest rotated one
   */
  record Opened(ActiveFile file, ChainHead head) {}

  private final Path path;
  private final @Nullable Path dir;

  /** The open file, or null after a rotation's rename whose new file is not created yet. */
  private @Nullable FileChannel channel;

  /** Where the records end (the zero tail, if any, begins here). */
  private long size;

  /** The length of the file: {@link #size} plus the zero tail. */
  private long allocated;

  /** Seq and time of the file's first record; seq 0 while the file is empty. */
  private long firstSeq;

  private @Nullable Instant firstTime;

  private ActiveFile(Path path, FileChannel channel, long firstSeq, @Nullable Instant firstTime)
      throws IOException {
    this.path = path;
    this.dir = path.toAbsolutePath().getParent();
    this.channel = channel;
    this.size = AuditFiles.dataEnd(channel);
    this.allocated = channel.size();
    this.firstSeq = firstSeq;
    this.firstTime = firstTime;
  }

  /**
   * Opens (or creates, mode 0600) the active file and finds the head of its chain.
   *
   * @param clock the age of a file whose first record has no readable time counts from now
   * @throws IOException when the file cannot be opened or its last line is not a record
   */
  static Opened open(Path file, InstantSource clock) throws IOException {
    Path dir = requireNonNull(file.toAbsolutePath().getParent(), "parent");
    Files.createDirectories(dir);
    if (!Files.exists(file)) {
      Files.createFile(file, OWNER_ONLY);
      AuditFiles.syncDirectory(dir);
    }
    FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
    try {
      String last = lastLine(ch, file);
      if (last != null) {
        AuditEntry first = entry(requireNonNull(AuditFiles.firstLine(file), "first line"), file);
        Instant firstTime;
        try {
          firstTime = first.instant();
        } catch (DateTimeParseException e) {
          firstTime = clock.instant(); // a broken first record: age counts from now
        }
        return new Opened(
            new ActiveFile(file, ch, first.seq(), firstTime),
            new ChainHead(seqOf(last, file), AuditChain.hash(last), name(file)));
      }
      ChainHead head = new ChainHead(0, AuditChain.GENESIS, name(file));
      Optional<Path> rotated = AuditFiles.latestRotated(file);
      if (rotated.isPresent()) {
        String rotatedLast = lastLine(rotated.get());
        if (rotatedLast != null) {
          head =
              new ChainHead(
                  seqOf(rotatedLast, rotated.get()),
                  AuditChain.hash(rotatedLast),
                  name(rotated.get()));
        }
      }
      return new Opened(new ActiveFile(file, ch, 0, null), head);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static @Nullable String lastLine(FileChannel ch, Path file) throws IOException {
    try {
      return AuditFiles.lastLine(ch);
    } catch (IOException e) {
      throw new IOException(
          file + ": " + e.getMessage() + "; run 'berth audit verify' and " + "move the file aside",
          e);
    }
  }

  private static @Nullable String lastLine(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return lastLine(ch, file);
    }
  }

  private static AuditEntry entry(String line, Path file) throws IOException {
    try {
      return AuditCodec.decode(line);
    } catch (IOException e) {
      throw new IOException(
          file
              + ": a line is not an audit record; run 'berth audit "
              + "verify' and move the file aside",
          e);
    }
  }

  private static long seqOf(String line, Path file) throws IOException {
    long s = entry(line, file).seq();
    if (s < 1) {
      throw new IOException(file + ": the last line has no sequence number");
    }
    return s;
  }

  static String name(Path file) {
    return file.getFileName().toString();
  }

  Path path() {
    return path;
  }

  /** Whether the file must be rotated before a batch of {@code bytes} is written at {@code now}. */
  boolean rotationDue(long bytes, Instant now, long maxBytes, Duration maxAge) {
    return channel == null
        || (size > 0
            && (size + bytes > maxBytes
                || !now.isBefore(requireNonNull(firstTime, "first time").plus(maxAge))));
  }

  /**
   * Appends a batch whose first record has {@code seq}, written at {@code now}, and forces it to
   * disk; on failure truncates the file back to where the batch began.
   */
  void append(byte[] bytes, long seq, Instant now) throws IOException {
    FileChannel channel = requireNonNull(this.channel, "no active file");
    long start = size;
    long end = start + bytes.length;
    try {
      write(channel, ByteBuffer.wrap(bytes), start);
      if (end > allocated) {
        preallocate(channel, end);
      }
      channel.force(false);
    } catch (IOException e) {
      try {
        channel.truncate(start); // no half record may stay behind to break the chain
        allocated = start;
      } catch (IOException ignored) {
        // the verifier will name the broken line
      }
      throw e;
    }
    if (size == 0) {
      firstSeq = seq;
      firstTime = now;
    }
    size = start + bytes.length;
  }

  private static void write(FileChannel channel, ByteBuffer buf, long at) throws IOException {
    while (buf.hasRemaining()) {
      at += channel.write(buf, at);
    }
  }

  /** Writes the zero tail after {@code end}; on failure (a full disk) cuts it off again. */
  private void preallocate(FileChannel channel, long end) throws IOException {
    try {
      write(channel, ByteBuffer.wrap(ZEROS), end);
      allocated = end + PREALLOCATE;
    } catch (IOException e) {
      channel.truncate(end);
      allocated = end;
    }
  }

  /** Cuts the zero tail off, so that the file ends with its last record, and forces the cut. */
  private void trim(FileChannel channel) throws IOException {
    if (allocated > size) {
      channel.truncate(size);
      channel.force(false);
      allocated = size;
    }
  }

  /** Whether the file is open (false between a rotation's rename and the new file). */
  boolean isOpen() {
    return channel != null;
  }

  /**
   * Renames the file to its rotated name ({@link AuditFiles}) and closes it; the rename is not
   * durable until {@link #syncDirectory}.
   *
   * @return the rotated file
   */
  Path renameActive() throws IOException {
    FileChannel channel = requireNonNull(this.channel, "no active file");
    Path rotated = AuditFiles.rotatedName(path, firstTime, firstSeq);
    if (Files.exists(rotated, LinkOption.NOFOLLOW_LINKS)) {
      // rename(2) would silently replace it: never lose a rotated file
      throw new FileAlreadyExistsException(
          rotated.toString(), null, "a rotated file of that name exists already");
    }
    trim(channel);
    Files.move(path, rotated, StandardCopyOption.ATOMIC_MOVE);
    try {
      channel.close(); // its records were forced with their batch
    } catch (IOException ignored) {
      // nothing is lost: the file descriptor only refers to a file that is complete
    }
    this.channel = null;
    return rotated;
  }

  /** Makes a rename or creation in the trail's directory durable. */
  void syncDirectory() throws IOException {
    AuditFiles.syncDirectory(dir);
  }

  /**
   * Creates the new, empty active file (mode 0600) and makes it durable. A retry after a failure
   * accepts the empty file the failed attempt left.
   */
  void createActive() throws IOException {
    FileChannel ch;
    try {
      ch =
          FileChannel.open(
              path,
              Set.of(
                  StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ),
              OWNER_ONLY);
    } catch (FileAlreadyExistsException e) {
      ch = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.READ);
      if (ch.size() != 0) { // not what a retry of this rotation left behind
        ch.close();
        throw new IOException(path + " was created by someone else while rotating");
      }
    }
    try {
      AuditFiles.syncDirectory(dir);
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    channel = ch;
    size = 0;
    allocated = 0;
    firstSeq = 0;
    firstTime = null;
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      try {
        trim(channel);
      } finally {
        channel.close();
      }
    }
  }
}
