package dev.berth.audit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Appends anchors to a file, one {@code berth-audit anchor ...} line each, forced to disk. The file
 * should live where the audit trail's writer cannot rewrite it unnoticed (another disk, a shipped
 * log); next to the trail it only helps tests.
 */
public final class FileAnchorSink implements AnchorSink {
  private final FileChannel channel;

  public FileAnchorSink(Path file) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    if (!Files.exists(file)) {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  @Override
  public void write(Anchor anchor) throws IOException {
    ByteBuffer line =
        ByteBuffer.wrap(("berth-audit " + anchor.line() + "\n").getBytes(StandardCharsets.UTF_8));
    while (line.hasRemaining()) {
      channel.write(line);
    }
    channel.force(false);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
