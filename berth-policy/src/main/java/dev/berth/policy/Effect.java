package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.ObjectDirectory.LookupException;
import java.util.Map;
import java.util.Optional;

/**
 * A change berth itself makes on the daemon for an allowed request, before forwarding it.
 *
 * <p>The engine only plans effects; it never performs them while deciding. The enforcement core
 * performs them after the decision's audit record is durable (no action without a record) and
 * before the request is forwarded, and refuses the request if one fails. Each effect is idempotent
 * and re-checks what it relies on, so planning and performing may be apart in time.
 */
public sealed interface Effect {

  /**
   * Performs the effect on the daemon behind {@code objects}.
   *
   * @return empty when done, else the refusal the caller gets instead of the forwarded request
   * @throws LookupException when the daemon could not be asked or refused to act
   */
  Optional<Decision.Deny> perform(ObjectDirectory objects) throws LookupException;

  /**
   * Make sure the named volume exists and is {@code owner}'s: create it labelled for the owner if
   * it does not exist (as the daemon would implicitly for {@code -v name:/path}), then confirm the
   * volume that exists afterwards is the owner's; another caller may have created it in between.
   */
  record EnsureVolume(String name, Owner owner) implements Effect {
    public EnsureVolume {
      requireNonNull(name, "name");
      requireNonNull(owner, "owner");
    }

    @Override
    public Optional<Decision.Deny> perform(ObjectDirectory objects) throws LookupException {
      DockerObject v = objects.ensureVolume(name, owner);
      if (ownedBy(v.owner())) {
        return Optional.empty();
      }
      return Optional.of(
          Decision.forbidden(
              "ownership",
              "berth: the volume \""
                  + name
                  + "\" belongs to someone else; use a volume of your own"));
    }

    /**
     * Whether a volume with owner {@code found} is this owner's, as {@link Grant#reaches} decides
     * for the caller the owner was made for: the same user, or the same sharing group.
     */
    private boolean ownedBy(Optional<Owner> found) {
      return found
          .map(o -> o.uid() == owner.uid() || (owner.gid() >= 0 && o.gid() == owner.gid()))
          .orElse(false);
    }
  }

  /**
   * Make sure the named bridge network exists and carries exactly {@code labels} (berth's marks
   * and, for a user's default network, the user's owner labels): create it so if it does not exist,
   * then confirm that the network that exists afterwards carries them; a network of that name made
   * by anyone else is refused.
   */
  record EnsureNetwork(String name, Map<String, String> labels) implements Effect {
    public EnsureNetwork {
      requireNonNull(name, "name");
      labels = Map.copyOf(labels);
    }

    @Override
    public Optional<Decision.Deny> perform(ObjectDirectory objects) {
      try {
        objects.ensureNetwork(name, labels);
        return Optional.empty();
      } catch (LookupException e) {
        return Optional.of(Decision.forbidden("network", "berth: " + e.getMessage()));
      }
    }
  }

  /**
   * Give the roots of the local volumes that the container (full id) mounts to their owners where
   * the daemon left them root's: a fresh volume's root is {@code root:root 0755}, and the daemon
   * copies an image directory's owner onto an empty volume it fills at creation. Done before the
   * container starts, so that its process, which runs as the caller, can write there.
   */
  record ClaimVolumeRoots(String container) implements Effect {
    public ClaimVolumeRoots {
      requireNonNull(container, "container");
    }

    @Override
    public Optional<Decision.Deny> perform(ObjectDirectory objects) throws LookupException {
      objects.claimVolumeRoots(container);
      return Optional.empty();
    }
  }

  /**
   * Hold the shared tag {@code tag} for {@code owner} while it points at {@code imageId}: hidden
   * from everyone else ({@link ImageClaims#heldTag}) and refused to their pulls, recorded durably
   * with the image the tag points at now (restored by {@link ObjectDirectory#releaseTag}). Refused
   * when the tag is held for another push: two pushes of one name would push each other's image.
   */
  record HoldTag(String tag, String imageId, Owner owner) implements Effect {
    public HoldTag {
      requireNonNull(tag, "tag");
      requireNonNull(imageId, "imageId");
      requireNonNull(owner, "owner");
    }

    @Override
    public Optional<Decision.Deny> perform(ObjectDirectory objects) throws LookupException {
      if (objects.holdTag(tag, imageId, owner)) {
        return Optional.empty();
      }
      return Optional.of(
          new Decision.Deny(
              "image_push",
              Decision.Status.CONFLICT,
              "berth: the name "
                  + tag
                  + " is being pushed by another push right now; push again when it ended"));
    }
  }

  /**
   * Pull {@code fromImage} at {@code tag} for a classic build that names it, as the allow of the
   * caller's own {@code docker pull} forwards it, with the build's credentials for that registry
   * ({@code registryAuth}, the pull's {@code X-Registry-Auth}; never recorded nor shown). A failed
   * pull refuses the build with the daemon's words ({@link Decision.Status#BAD_GATEWAY}, rule
   * {@value #PULL_RULE}).
   */
  record PullImage(String fromImage, String tag, String registryAuth) implements Effect {
    /** The rule of a refusal by the registry. */
    public static final String PULL_RULE = "image_pull_registry";

    public PullImage {
      requireNonNull(fromImage, "fromImage");
      requireNonNull(tag, "tag");
      requireNonNull(registryAuth, "registryAuth");
    }

    @Override
    public Optional<Decision.Deny> perform(ObjectDirectory objects) throws LookupException {
      return objects
          .pullImage(fromImage, tag, registryAuth)
          .map(error -> new Decision.Deny(PULL_RULE, Decision.Status.BAD_GATEWAY, error));
    }

    @Override
    public String toString() {
      return "PullImage[" + fromImage + ":" + tag + "]";
    }
  }

  /**
   * Give the image {@code imageId} (a full id) the daemon tag {@code tag}; done after {@link
   * HoldTag}, so that no other caller ever sees the tag on that image.
   */
  record TagImage(String imageId, String tag) implements Effect {
    public TagImage {
      requireNonNull(imageId, "imageId");
      requireNonNull(tag, "tag");
    }

    @Override
    public Optional<Decision.Deny> perform(ObjectDirectory objects) throws LookupException {
      objects.tagImage(imageId, tag);
      return Optional.empty();
    }
  }
}
