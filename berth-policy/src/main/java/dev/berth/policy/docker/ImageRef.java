package dev.berth.policy.docker;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An image reference in its one canonical form, {@code registry/repository[:tag][@digest]}, as the
 * image policy judges it ({@code docker.io/library/busybox:latest}, {@code
 * ghcr.io/org/tool@sha256:...}).
 *
 * <p>Design note. The grammar and the defaults are those of the distribution reference package that
 * the daemon and the CLI use ({@code reference.ParseNormalizedNamed}, distribution {@code
 * reference/normalize.go}): the first path component is a registry when it contains a {@code .} or
 * a {@code :}, is {@code localhost}, or has an upper-case letter; otherwise the registry is Docker
 * Hub ({@code docker.io}, also written {@code index.docker.io}), whose one-component names live
 * under {@code library/}; a reference with neither tag nor digest means {@code :latest}. The
 * registry is lower-cased (host names are case-insensitive, so {@code Docker.IO} reaches the same
 * registry) and a pull's separate {@code tag} parameter is applied as the daemon applies it ({@link
 * #ofPull}). Anything outside the grammar (upper-case repositories, IPv6 registries, digests other
 * than sha256) is rejected: the policy refuses what it cannot name.
 *
 * @param registry the registry host (and port), lower case
 * @param repository the path inside the registry, e.g. {@code library/busybox}
 * @param tag the tag, "" when the reference names only a digest
 * @param digest {@code sha256:<64 hex>}, or "" when the reference names none
 */
public record ImageRef(String registry, String repository, String tag, String digest) {
  /** Docker Hub, as the canonical form names it. */
  public static final String HUB = "docker.io";

  private static final Pattern DOMAIN =
      Pattern.compile(
          "^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
              + "(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$");
  private static final Pattern COMPONENT =
      Pattern.compile("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$");
  private static final Pattern TAG = Pattern.compile("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$");
  private static final Pattern DIGEST = Pattern.compile("^sha256:[0-9a-f]{64}$");
  private static final Pattern ID = Pattern.compile("^(?:sha256:)?[0-9a-f]{64}$");
  private static final int NAME_MAX = 255;

  public ImageRef {
    requireNonNull(registry, "registry");
    requireNonNull(repository, "repository");
    requireNonNull(tag, "tag");
    requireNonNull(digest, "digest");
  }

  /**
   * The canonical form of {@code ref} (a name as the CLI or API takes it).
   *
   * @throws IllegalArgumentException when {@code ref} is not a valid image name, or is an image id
   *     ({@link #isId})
   */
  public static ImageRef parse(String ref) {
    if (isId(ref)) {
      throw new IllegalArgumentException(ref + " is an image id, not a name");
    }
    String name = ref;
    String digest = "";
    int at = name.indexOf('@');
    if (at >= 0) {
      digest = name.substring(at + 1);
      name = name.substring(0, at);
      if (!DIGEST.matcher(digest).matches()) {
        throw new IllegalArgumentException(
            "invalid digest in " + ref + " (expected sha256: and 64 lower-case hex digits)");
      }
    }
    String tag = "";
    int colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) {
      tag = name.substring(colon + 1);
      name = name.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new IllegalArgumentException("invalid tag in " + ref);
      }
    }
    if (name.length() > NAME_MAX) {
      throw new IllegalArgumentException("image name longer than " + NAME_MAX + " characters");
    }
    int slash = name.indexOf('/');
    String registry = HUB;
    String repository = name;
    if (slash >= 0) {
      String first = name.substring(0, slash);
      if (first.contains(".")
          || first.contains(":")
          || first.equals("localhost")
          || !first.toLowerCase(Locale.ROOT).equals(first)) {
        if (!DOMAIN.matcher(first).matches()) {
          throw new IllegalArgumentException("invalid registry " + first + " in " + ref);
        }
        registry = first.toLowerCase(Locale.ROOT);
        repository = name.substring(slash + 1);
      }
    }
    if (registry.equals("index.docker.io")) {
      registry = HUB;
    }
    if (registry.equals(HUB) && !repository.contains("/")) {
      repository = "library/" + repository;
    }
    for (String component : repository.split("/", -1)) {
      if (!COMPONENT.matcher(component).matches()) {
        throw new IllegalArgumentException(
            "invalid repository name "
                + repository
                + " in "
                + ref
                + " (lower-case letters, digits and separators)");
      }
    }
    if (tag.isEmpty() && digest.isEmpty()) {
      tag = "latest";
    }
    return new ImageRef(registry, repository, tag, digest);
  }

  /** {@link #parse}, or empty when {@code ref} is not a valid name. */
  public static Optional<ImageRef> tryParse(String ref) {
    try {
      return Optional.of(parse(ref));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * What {@code POST /images/create?fromImage=F&tag=T} pulls: the daemon parses {@code F} and, when
   * {@code T} is given, takes it as a digest if it parses as one (replacing the tag and digest
   * {@code F} named) and as the tag otherwise (replacing the tag, keeping a digest: distribution
   * {@code reference.WithTag}) (moby {@code postImagesCreate}).
   */
  public static ImageRef ofPull(String fromImage, String tag) {
    ImageRef from = parse(fromImage);
    if (tag.isEmpty()) {
      return from;
    }
    if (DIGEST.matcher(tag).matches()) {
      return new ImageRef(from.registry, from.repository, "", tag);
    }
    if (!TAG.matcher(tag).matches()) {
      throw new IllegalArgumentException("invalid tag " + tag);
    }
    return new ImageRef(from.registry, from.repository, tag, from.digest);
  }

  /** Whether {@code ref} is a full image id ({@code sha256:} and 64 hex digits, or the digits). */
  public static boolean isId(String ref) {
    return ID.matcher(ref).matches();
  }

  /** {@code registry/repository}: what the image policy's patterns match. */
  public String name() {
    return registry + "/" + repository;
  }

  /** Whether the reference names a digest (its content is fixed). */
  public boolean pinned() {
    return !digest.isEmpty();
  }

  /** The canonical form. */
  @Override
  public String toString() {
    return name() + (tag.isEmpty() ? "" : ":" + tag) + (digest.isEmpty() ? "" : "@" + digest);
  }
}
