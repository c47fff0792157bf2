package dev.berth.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What berth asks about existing objects before it lets a caller act on one.
 *
 * <p>Names, full ids and id prefixes are resolved by the daemon itself (the proxy's implementation
 * asks the daemon's inspect endpoints), so berth judges exactly the object the daemon would act on;
 * the engine then forwards the full id it judged. Ownership comes from the labels berth stamped at
 * creation, or, for objects without labels (execs, images), from berth's durable side store.
 *
 * <p>Every method may block (it runs off the event loop). A method an implementation does not
 * provide fails, so that the engine refuses (fail closed). Empty means the daemon knows no such
 * object, or the reference is ambiguous; a {@link LookupException} means the question could not be
 * answered, and the engine then refuses (fail closed).
 */
public interface ObjectDirectory {
  /** A directory with no daemon behind it ({@code berth policy explain}): every lookup fails. */
  ObjectDirectory UNAVAILABLE = new ObjectDirectory() {};

  default Optional<DockerObject> container(String ref) throws LookupException {
    throw unavailable();
  }

  default Optional<DockerObject> volume(String name) throws LookupException {
    throw unavailable();
  }

  default Optional<DockerObject> network(String ref) throws LookupException {
    throw unavailable();
  }

  default Optional<DockerObject> exec(String id) throws LookupException {
    throw unavailable();
  }

  /** An image by tag, id or id prefix; {@link DockerObject#tags} carry the recorded owners. */
  default Optional<DockerObject> image(String ref) throws LookupException {
    throw unavailable();
  }

  /**
   * The named volume, created for {@code owner} first if it does not exist (as the daemon would
   * create it implicitly for {@code -v name:/path}, but labelled). The only write: the engine never
   * calls it; {@link Effect.EnsureVolume} does, after the decision is recorded.
   */
  default DockerObject ensureVolume(String name, Owner owner) throws LookupException {
    throw unavailable();
  }

  /**
   * The named bridge network, created with {@code labels} first if it does not exist; refused
   * ({@link LookupException}) when a network of that name exists without exactly those labels.
   */
  default DockerObject ensureNetwork(String name, Map<String, String> labels)
      throws LookupException {
    throw new LookupException("this directory cannot create networks");
  }

  /**
   * Gives the roots of the volumes a container (by full id) mounts to their owners where the daemon
   * left them root's (a fresh volume, or one the daemon filled from the image), so that the owner's
   * container, which runs as the owner, can write to them.
   *
   * @return a note per volume changed
   */
  default List<String> claimVolumeRoots(String id) throws LookupException {
    throw new LookupException("this directory cannot change volumes");
  }

  /**
   * Whether the daemon's node takes part in a swarm (its {@code Swarm.LocalNodeState} is neither
   * empty nor {@code inactive}).
   */
  default boolean inSwarm() throws LookupException {
    throw new LookupException("this directory cannot tell the swarm state");
  }

  /**
   * The IPv4 pools the daemon draws its networks from: its configured {@code
   * default-address-pools}, or dockerd's built-in pools when it has none ({@link
   * AddressPool#ofDaemon}). They change only when the daemon restarts, so a directory may keep them
   * for a while.
   *
   * @param recheck whether the caller found a subnet outside the pools it was given: a directory
   *     that keeps them asks the daemon again, unless it asked it moments ago
   */
  default List<AddressPool> defaultAddressPools(boolean recheck) throws LookupException {
    throw new LookupException("this directory cannot tell the daemon's default address pools");
  }

  /** The daemon's API version ({@code GET /version}'s {@code ApiVersion}, such as {@code 1.51}). */
  default String apiVersion() throws LookupException {
    throw new LookupException("this directory cannot tell the daemon's API version");
  }

  /**
   * Holds the shared tag {@code tag} (familiar form) for {@code owner} while it points at {@code
   * imageId}, durably, remembering the image the tag points at now; see {@link Effect.HoldTag}.
   *
   * @return false when the tag is held for another push already (nothing changed)
   */
  default boolean holdTag(String tag, String imageId, Owner owner) throws LookupException {
    throw new LookupException("this directory cannot hold image tags");
  }

  /** Tags the image {@code imageId} (a full id) {@code tag} in the daemon. */
  default void tagImage(String imageId, String tag) throws LookupException {
    throw new LookupException("this directory cannot tag images");
  }

  /**
   * Pulls {@code fromImage} at {@code tag} (a tag or digest) from its registry ({@code POST
   * /images/create}), with {@code registryAuth} as its {@code X-Registry-Auth} ("" for none), and
   * waits for the pull to end: as long as it takes, while the daemon reports progress.
   *
   * @return empty when the image is pulled, else the daemon's error (the registry's, as the daemon
   *     words it)
   */
  default Optional<String> pullImage(String fromImage, String tag, String registryAuth)
      throws LookupException {
    throw new LookupException("this directory cannot pull images");
  }

  /**
   * The daemon's tags of the repository {@code repository} (familiar form, without tag or digest),
   * each with the id of the image it names: what {@code docker save REPOSITORY} saves.
   */
  default Map<String, String> repositoryTags(String repository) throws LookupException {
    throw new LookupException("this directory cannot list images");
  }

  /**
   * Ends a hold of {@link #holdTag}: when the daemon's {@code tag} still points at {@code imageId},
   * it points at the image it pointed at before the hold again, or is removed (the image keeps its
   * other tags); then the hold is dropped. Nothing when no such hold exists (idempotent). When the
   * daemon cannot be asked, the hold stays: the tag stays hidden from everyone but its holder.
   */
  default void releaseTag(String tag, String imageId) throws LookupException {
    throw new LookupException("this directory cannot release image tags");
  }

  /**
   * The ONBUILD triggers of the image {@code id} (a full id), as its inspect answer's {@code
   * Config.OnBuild} lists them: what the classic builder runs when a build starts from it.
   */
  default List<String> imageOnBuild(String id) throws LookupException {
    throw new LookupException("this directory cannot read ONBUILD triggers");
  }

  /** berth's records about images (who made which image, and tags held from before namespaces). */
  default ImageClaims imageClaims() {
    return ImageClaims.NONE;
  }

  /** What a container (by full id) holds against a quota. */
  default ContainerUsage usage(String id) throws LookupException {
    throw new LookupException("this directory cannot report resource usage");
  }

  /** The active (running, paused, restarting) containers carrying {@code label} ({@code k=v}). */
  default List<ContainerUsage> active(String label) throws LookupException {
    throw new LookupException("this directory cannot list containers");
  }

  /**
   * The daemon's networks that {@code filters} (a {@code GET /networks} filter, which selects
   * {@code type=builtin}) selects, as the daemon lists them.
   */
  default List<JsonNode> builtinNetworks(String filters) throws LookupException {
    throw new LookupException("this directory cannot list networks");
  }

  /** Why an ownership question could not be answered. */
  final class LookupException extends Exception {
    public LookupException(String message) {
      super(message);
    }
  }

  private static LookupException unavailable() {
    return new LookupException("no daemon to ask about existing objects");
  }
}
