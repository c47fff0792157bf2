package dev.berth.policy;

import dev.berth.policy.docker.ImageRef;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A pattern on canonical image names ({@link ImageRef#name()}, {@code registry/repository}): {@code
 * registry.site.edu/*}, {@code docker.io/library/*}, {@code ghcr.io/org/tool}.
 *
 * <p>Design note. A pattern is written fully qualified, registry first, so that nothing about it is
 * implied; the registry part is matched on its own and lower-cased, and there {@code *} never
 * crosses the {@code /} that ends it ({@code *.site.edu/*} cannot match {@code
 * evil.com/x.site.edu/y}). In the repository part {@code *} matches any characters, {@code /}
 * included ({@code registry.site.edu/*} is everything in that registry). No other character is
 * special.
 */
public final class ImagePattern {
  private final String text;
  private final Pattern regex;

  private ImagePattern(String text, Pattern regex) {
    this.text = text;
    this.regex = regex;
  }

  /** The pattern {@code text}; throws {@link IllegalArgumentException} with what is wrong. */
  public static ImagePattern of(String text) {
    int slash = text.indexOf('/');
    if (slash < 0 && !text.isEmpty()) {
      throw new IllegalArgumentException(
          "expected registry/repository (write docker.io/library/" + text + " for Docker Hub)");
    }
    if (slash <= 0 || slash == text.length() - 1) {
      throw new IllegalArgumentException(
          "expected registry/repository such as " + "docker.io/library/* or registry.site.edu/*");
    }
    String registry = text.substring(0, slash).toLowerCase(Locale.ROOT);
    String repository = text.substring(slash + 1);
    if (!registry.contains(".")
        && !registry.contains(":")
        && !registry.equals("localhost")
        && !registry.contains("*")) {
      throw new IllegalArgumentException(
          "the first part must be a registry (write " + "docker.io/" + text + " for Docker Hub)");
    }
    if (registry.equals("index.docker.io")) {
      throw new IllegalArgumentException("write docker.io, the canonical name of Docker Hub");
    }
    if (!registry.matches("[a-z0-9.:*-]+") || !repository.matches("[a-z0-9._/*-]+")) {
      throw new IllegalArgumentException(
          "registry: lower-case letters, digits, '.', ':', '-' "
              + "and '*'; repository: lower-case letters, digits, '.', '_', '-', '/' and '*'");
    }
    String regex = glob(registry, "[^/]*") + "/" + glob(repository, ".*");
    return new ImagePattern(registry + "/" + repository, Pattern.compile(regex));
  }

  private static String glob(String part, String star) {
    String[] pieces = part.split("\\*", -1);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < pieces.length; i++) {
      if (i > 0) {
        out.append(star);
      }
      if (!pieces[i].isEmpty()) {
        out.append(Pattern.quote(pieces[i]));
      }
    }
    return out.toString();
  }

  /** Whether the canonical name {@code name} ({@code registry/repository}) matches. */
  public boolean matches(String name) {
    return regex.matcher(name).matches();
  }

  /** The regular expression (Java and RE2 syntax alike) the pattern compiles to. */
  public String regex() {
    return regex.pattern();
  }

  /** The pattern as written, its registry lower-cased. */
  @Override
  public String toString() {
    return text;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ImagePattern p && p.text.equals(text);
  }

  @Override
  public int hashCode() {
    return text.hashCode();
  }
}
