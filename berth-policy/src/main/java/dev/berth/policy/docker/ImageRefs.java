package dev.berth.policy.docker;

import java.util.Locale;

/**
 * Image references in the familiar form the daemon lists them in ({@code RepoTags}): {@code
 * busybox:latest}, {@code ghcr.io/org/tool:1.2}.
 *
 * <p>Follows the normalisation of the distribution reference grammar: a first component with a
 * {@code .} or {@code :}, or {@code localhost}, is a registry; otherwise the registry is Docker
 * Hub, whose {@code docker.io/} and {@code library/} prefixes the familiar form drops; a reference
 * without tag or digest means {@code :latest}.
 */
public final class ImageRefs {
  private ImageRefs() {}

  /** The familiar form of {@code ref}. */
  public static String familiar(String ref) {
    String name = ref;
    String suffix = "";
    int at = name.indexOf('@');
    if (at >= 0) {
      suffix = name.substring(at);
      name = name.substring(0, at);
    }
    int slash = name.lastIndexOf('/');
    int colon = name.lastIndexOf(':');
    if (colon > slash) {
      suffix = name.substring(colon) + suffix;
      name = name.substring(0, colon);
    }
    if (suffix.isEmpty()) {
      suffix = ":latest";
    }
    int first = name.indexOf('/');
    String domain = first < 0 ? "" : name.substring(0, first);
    if (first >= 0 && (domain.equals("docker.io") || domain.equals("index.docker.io"))) {
      name = name.substring(first + 1);
    } else if (first >= 0
        && (domain.contains(".") || domain.contains(":") || domain.equals("localhost"))) {
      return domain.toLowerCase(Locale.ROOT) + name.substring(first) + suffix;
    }
    if (name.startsWith("library/") && name.indexOf('/', "library/".length()) < 0) {
      name = name.substring("library/".length());
    }
    return name + suffix;
  }
}
