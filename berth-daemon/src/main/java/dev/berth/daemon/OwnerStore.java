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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 *
 * <p>Push holds ({@code hold}, ended by {@code release}): while a user's image is pushed under the
 * shared name the user gave it, that tag is held for the user ({@link #holdForPush}; see {@code
 * ImagePushRules}), hidden from everyone else like a {@code tag} record, with the image the tag
 * pointed at before. One hold per tag at a time. A hold is recorded before the daemon is asked to
 * tag, so a hold berth did not release before it stopped is loaded again: the tag stays hidden from
 * everyone but its holder.
 */
public final class OwnerStore implements AutoCloseable, ImageClaims {
  private static final Logger LOG = LoggerFactory.getLogger(OwnerStore.class);
  private static final ObjectMapper JSON = DockerJson.mapper();

  private record TagClaim(String imageId, Owner owner, boolean made) {}

  /**
   * A push's hold on a shared tag: the image pushed, its holder, what the tag named before, and
   * whether it was loaded from the file (a push a previous berth did not finish).
   */
  public record PushHold(
      String imageId, Owner owner, Optional<String> previous, boolean recovered) {}

  private final Path file;
  private final FileChannel channel;
  private final ExecutorService writer =
      Executors.newSingleThreadExecutor(
          Thread.ofPlatform().name("berth-owners").daemon().factory());
  private final Map<String, Owner> execs = new ConcurrentHashMap<>();
  private final Map<String, Owner> images = new ConcurrentHashMap<>();
  private final Map<String, TagClaim> tags = new ConcurrentHashMap<>();
  private final Map<String, PushHold> holds = new ConcurrentHashMap<>();

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
      case "hold" ->
          holds.put(
              rec.get("tag").textValue(),
              new PushHold(id, owner, Optional.ofNullable(rec.path("previous").textValue()), true));
      case "release" -> holds.remove(rec.get("tag").textValue());
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
    PushHold hold = holds.get(tag);
    if (hold != null && hold.imageId().equals(imageId)) {
      return Optional.of(hold.owner());
    }
    TagClaim c = tags.get(tag);
    return c != null && c.imageId().equals(imageId) ? Optional.of(c.owner()) : Optional.empty();
  }

  @Override
  public Optional<Owner> heldTag(String tag, String imageId) {
    PushHold hold = holds.get(tag);
    if (hold != null && hold.imageId().equals(imageId)) {
      return Optional.of(hold.owner());
    }
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

  /**
   * Holds the shared tag {@code tag} for {@code owner} while it points at {@code imageId}, with the
   * image it pointed at before; false when the tag is held already (one push of a name at a time).
   */
  public boolean holdForPush(String tag, String imageId, Owner owner, Optional<String> previous)
      throws IOException {
    PushHold hold = new PushHold(imageId, owner, previous, false);
    if (holds.putIfAbsent(tag, hold) != null) {
      return false;
    }
    ObjectNode rec = record("hold", imageId, tag, owner);
    previous.ifPresent(p -> rec.put("previous", p));
    boolean written;
    try {
      written = append(rec).get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      written = false;
    } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
      written = false;
    }
    if (!written) {
      // Durable first: a tag made without its hold on disk would be shared after a restart.
      holds.remove(tag, hold);
      throw new IOException("the hold on " + tag + " could not be recorded in " + file);
    }
    return true;
  }

  /** The hold on {@code tag}, if one is in place. */
  public Optional<PushHold> pushHold(String tag) {
    return Optional.ofNullable(holds.get(tag));
  }

  /** Drops the hold on {@code tag} of the push of {@code imageId} (nothing for another's). */
  public void release(String tag, String imageId) {
    PushHold hold = holds.get(tag);
    if (hold != null && hold.imageId().equals(imageId) && holds.remove(tag, hold)) {
      Future<Boolean> unused = append(record("release", imageId, tag, hold.owner()));
    }
  }

  private void persist(String kind, String id, @Nullable String tag, Owner owner) {
    Future<Boolean> unused = append(record(kind, id, tag, owner));
  }

  private static ObjectNode record(String kind, String id, @Nullable String tag, Owner owner) {
    ObjectNode rec = JSON.createObjectNode().put("kind", kind).put("id", id);
    if (tag != null) {
      rec.put("tag", tag);
    }
    return rec.put("uid", owner.uid()).put("gid", owner.gid());
  }

  /** Appends and fsyncs {@code rec} on the writer thread; completes with whether it was written. */
  private Future<Boolean> append(ObjectNode rec) {
    byte[] line = (rec + "\n").getBytes(StandardCharsets.UTF_8);
    return writer.submit(
        () -> {
          try {
            ByteBuffer buf = ByteBuffer.wrap(line);
            while (buf.hasRemaining()) {
              channel.write(buf);
            }
            channel.force(false);
            return true;
          } catch (IOException e) {
            LOG.atError()
                .addKeyValue("file", file)
                .addKeyValue("cause", e.toString())
                .log("ownership record not written; the object will be nobody's after a restart");
            return false;
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
