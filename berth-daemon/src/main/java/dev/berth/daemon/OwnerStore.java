package dev.berth.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.ImageClaims;
import dev.berth.policy.Owner;
import dev.berth.policy.docker.DockerJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owners of what carries no label: execs, and images users pulled, tagged or committed.
 *
 * <p>Design note. Containers, volumes and networks record their owner in labels, so the daemon is
 * the source of truth for them. Execs and images have no labels, so berth keeps an append-only JSON
 * Lines file ({@code owners.jsonl} in the state directory, mode 0600) and a map in memory. A claim
 * is visible in memory at once (an exec id is claimed before the caller learns it) and is appended
 * and fsynced on a single writer thread; if berth dies before that, the claim is lost and the
 * object is nobody's, which only an administrator reaches (fail closed). A tag claim names the
 * image id the tag pointed to, and counts only while the tag still points there: an administrator
 * who re-tags the name takes it back without editing this file.
 *
 * <p>Tag records: {@code pull} names who pulled a shared tag (they may remove or push it; the tag
 * stays shared). {@code tag} records come from berth 0.1, where a user's {@code docker tag} or
 * {@code commit} wrote a shared name: such a tag stays its maker's and hidden from other users
 * ({@link #heldTag}); since issue 13 users' tags live in their own namespace and need no record.
 */
public final class OwnerStore implements AutoCloseable, ImageClaims {
  private static final Logger LOG = LoggerFactory.getLogger(OwnerStore.class);
  private static final ObjectMapper JSON = DockerJson.mapper();

  private record TagClaim(String imageId, Owner owner, boolean made) {}

  private final Path file;
  private final FileChannel channel;
  private final ExecutorService writer =
      Executors.newSingleThreadExecutor(
          Thread.ofPlatform().name("berth-owners").daemon().factory());
  private final Map<String, Owner> execs = new ConcurrentHashMap<>();
  private final Map<String, Owner> images = new ConcurrentHashMap<>();
  private final Map<String, TagClaim> tags = new ConcurrentHashMap<>();

  private OwnerStore(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  /** Opens (or creates) {@code dir/owners.jsonl} and loads its claims. */
  public static OwnerStore open(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Path file = dir.resolve("owners.jsonl");
    if (!Files.exists(file)) {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    OwnerStore store =
        new OwnerStore(
            file, FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
    int lineNo = 0;
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      lineNo++;
      try {
        store.apply(JSON.readTree(line));
      } catch (IOException | RuntimeException e) {
        // A torn last line from a crash, or an edited file: that claim is nobody's.
        LOG.atWarn()
            .addKeyValue("file", file)
            .addKeyValue("line", lineNo)
            .log("ignoring an unreadable ownership record");
      }
    }
    return store;
  }

  private void apply(JsonNode rec) {
    Owner owner = new Owner(rec.get("uid").intValue(), rec.path("gid").asInt(-1));
    String id = rec.get("id").textValue();
    switch (rec.get("kind").textValue()) {
      case "exec" -> execs.put(id, owner);
      case "image" -> images.put(id, owner);
      case "tag" -> tags.put(rec.get("tag").textValue(), new TagClaim(id, owner, true));
      case "pull" -> tags.put(rec.get("tag").textValue(), new TagClaim(id, owner, false));
      default -> throw new IllegalArgumentException("unknown kind");
    }
  }

  public Optional<Owner> execOwner(String execId) {
    return Optional.ofNullable(execs.get(execId));
  }

  @Override
  public Optional<Owner> imageOwner(String imageId) {
    return Optional.ofNullable(images.get(imageId));
  }

  /** The owner of {@code tag} if it was claimed while pointing at {@code imageId}. */
  public Optional<Owner> tagOwner(String tag, String imageId) {
    TagClaim c = tags.get(tag);
    return c != null && c.imageId().equals(imageId) ? Optional.of(c.owner()) : Optional.empty();
  }

  @Override
  public Optional<Owner> heldTag(String tag, String imageId) {
    TagClaim c = tags.get(tag);
    return c != null && c.made() && c.imageId().equals(imageId)
        ? Optional.of(c.owner())
        : Optional.empty();
  }

  public void claimExec(String execId, Owner owner) {
    execs.put(execId, owner);
    persist("exec", execId, null, owner);
  }

  public void claimImage(String imageId, Owner owner) {
    images.put(imageId, owner);
    persist("image", imageId, null, owner);
  }

  /**
   * Records that {@code owner} pulled the shared tag {@code tag} (now pointing at {@code imageId});
   * it stays shared.
   */
  public void claimTag(String tag, String imageId, Owner owner) {
    tags.put(tag, new TagClaim(imageId, owner, false));
    persist("pull", imageId, tag, owner);
  }

  private void persist(String kind, String id, @Nullable String tag, Owner owner) {
    ObjectNode rec = JSON.createObjectNode().put("kind", kind).put("id", id);
    if (tag != null) {
      rec.put("tag", tag);
    }
    rec.put("uid", owner.uid()).put("gid", owner.gid());
    byte[] line = (rec + "\n").getBytes(StandardCharsets.UTF_8);
    writer.execute(
        () -> {
          try {
            ByteBuffer buf = ByteBuffer.wrap(line);
            while (buf.hasRemaining()) {
              channel.write(buf);
            }
            channel.force(false);
          } catch (IOException e) {
            LOG.atError()
                .addKeyValue("file", file)
                .addKeyValue("cause", e.toString())
                .log("ownership record not written; the object will be nobody's after a restart");
          }
        });
  }

  /** Waits for queued claims to reach the disk, then closes the file. */
  @Override
  public void close() throws IOException {
    writer.shutdown();
    try {
      writer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    channel.close();
  }
}
