package dev.berth.policy;

import java.util.Optional;

/**
 * What berth asks about existing objects before it lets a caller act on one.
 *
 * <p>Names, full ids and id prefixes are resolved by the daemon itself (the proxy's
 * implementation asks the daemon's inspect endpoints), so berth judges exactly the object the
 * daemon would act on; the engine then forwards the full id it judged. Ownership comes from the
 * labels berth stamped at creation, or, for objects without labels (execs, images), from berth's
 * durable side store.
 *
 * <p>Every method may block (it runs off the event loop). Empty means the daemon knows no such
 * object, or the reference is ambiguous; a {@link LookupException} means the question could not
 * be answered, and the engine then refuses (fail closed).
 */
public interface ObjectDirectory {
  Optional<DockerObject> container(String ref) throws LookupException;

  Optional<DockerObject> volume(String name) throws LookupException;

  Optional<DockerObject> network(String ref) throws LookupException;

  Optional<DockerObject> exec(String id) throws LookupException;

  /** An image by tag, id or id prefix; {@link DockerObject#tags} carry the recorded owners. */
  Optional<DockerObject> image(String ref) throws LookupException;

  /**
   * The named volume, created for {@code owner} first if it does not exist (as the daemon would
   * create it implicitly for {@code -v name:/path}, but labelled). Creating first makes the check
   * race-free: afterwards the volume exists and its owner cannot change.
   */
  DockerObject ensureVolume(String name, Owner owner) throws LookupException;

  /** berth's records about images (who made which image, and tags held from before namespaces). */
  default ImageClaims imageClaims() {
    return ImageClaims.NONE;
  }

  /** What a container (by full id) holds against a quota. */
  default ContainerUsage usage(String id) throws LookupException {
    throw new LookupException("this directory cannot report resource usage");
  }

  /** The active (running, paused, restarting) containers carrying {@code label} ({@code k=v}). */
  default java.util.List<ContainerUsage> active(String label) throws LookupException {
    throw new LookupException("this directory cannot list containers");
  }

  /** Why an ownership question could not be answered. */
  final class LookupException extends Exception {
    public LookupException(String message) {
      super(message);
    }
  }

  /** A directory with no daemon behind it ({@code berth policy explain}): every lookup fails. */
  ObjectDirectory UNAVAILABLE = new ObjectDirectory() {
    private Optional<DockerObject> none() throws LookupException {
      throw new LookupException("no daemon to ask about existing objects");
    }

    @Override
    public Optional<DockerObject> container(String ref) throws LookupException {
      return none();
    }

    @Override
    public Optional<DockerObject> volume(String name) throws LookupException {
      return none();
    }

    @Override
    public Optional<DockerObject> network(String ref) throws LookupException {
      return none();
    }

    @Override
    public Optional<DockerObject> exec(String id) throws LookupException {
      return none();
    }

    @Override
    public Optional<DockerObject> image(String ref) throws LookupException {
      return none();
    }

    @Override
    public DockerObject ensureVolume(String name, Owner owner) throws LookupException {
      throw new LookupException("no daemon to ask about existing objects");
    }
  };
}
