package dev.berth.policy;

import dev.berth.policy.docker.ImageRefs;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The daemon's names for the image tags users make: each user's tags live in a namespace of their
 * own, mapped both ways.
 *
 * <p>Design note. A user's tag {@code python:3.12} (any name the user gives: {@code docker tag},
 * {@code commit}, {@code build -t}) is stored in the daemon as {@code
 * berth.invalid/u1001/docker.io/library/python:3.12}: the reserved registry {@code berth.invalid}
 * (RFC 6761: it never resolves, so the daemon can never pull or push it), the owner's uid, then the
 * fully qualified name the user meant, its registry written as one path component ({@code
 * localhost:5000} becomes {@code localhost__5000}: a host name has no {@code _}, so the mapping is
 * reversible). The daemon's shared names (pulled from a registry or made by an administrator) are
 * therefore never written by a user, and no user's tag can shadow one for anyone else. The owner is
 * part of the name, so the mapping needs no side store and survives berth and daemon restarts; an
 * administrator sees the daemon's real names.
 *
 * <p>Where it is applied: {@link ImageAccess} resolves each reference a user gives (their own
 * namespace first, then the shared name, then an id) and forwards the daemon's name or full id;
 * answers that list tags (image list and inspect, history, system df, container list and inspect)
 * are mapped back, and tags of other users' namespaces are dropped; the daemon's own words (error
 * messages, progress streams of pull, push, load and build, events) are mapped back by {@link
 * #shownInText}, where another user's name reads {@value #OTHERS}. Any reference a user gives
 * inside {@code berth.invalid} is refused, so nobody can address another user's namespace through
 * it.
 */
public final class ImageNamespace {
  /** The reserved registry that holds every user's private tags. */
  public static final String REGISTRY = "berth.invalid";

  private static final String PREFIX = REGISTRY + "/u";
  private static final Pattern PRIVATE =
      Pattern.compile("^berth\\.invalid/u([0-9]{1,10})/([a-z0-9][a-z0-9._-]*)/(.+)$");

  /**
   * A daemon name inside some user's namespace, as it appears in the daemon's words: the reserved
   * registry, a uid, a registry component, then a repository path with an optional tag or digest
   * (the characters of a reference; a trailing {@code .} or {@code :} is the sentence's).
   */
  private static final Pattern IN_TEXT =
      Pattern.compile(
          "berth\\.invalid/u[0-9]{1,10}/[a-z0-9][a-z0-9._-]*/[A-Za-z0-9._/:@-]*[A-Za-z0-9_]");

  /** What another user's private name reads as in the daemon's words shown to a caller. */
  public static final String OTHERS = "(an image of another user)";

  private ImageNamespace() {}

  /** A daemon tag in a user's namespace: whose it is and the name its owner uses. */
  public record PrivateTag(int uid, String name) {}

  /**
   * The daemon's name for the tag {@code ref} (any form: {@code python:3.12}, {@code
   * docker.io/library/python}, {@code localhost:5000/app:1}) in {@code uid}'s namespace, or empty
   * when the reference cannot be mapped (a digest, an IPv6 registry, or a name inside the reserved
   * registry).
   */
  public static Optional<String> privateName(String ref, int uid) {
    if (ref.contains("@") || isReserved(ref)) {
      return Optional.empty();
    }
    String familiar = ImageRefs.familiar(ref);
    int colon = familiar.lastIndexOf(':');
    int slash = familiar.lastIndexOf('/');
    String name = colon > slash ? familiar.substring(0, colon) : familiar;
    String tag = colon > slash ? familiar.substring(colon) : ":latest";
    int first = name.indexOf('/');
    String domain = first < 0 ? "" : name.substring(0, first);
    String path;
    if (first >= 0
        && (domain.contains(".") || domain.contains(":") || domain.equals("localhost"))) {
      path = name.substring(first + 1);
    } else {
      domain = "docker.io";
      path = name.contains("/") ? name : "library/" + name;
    }
    if (domain.contains("[") || domain.contains("_")) {
      return Optional.empty();
    }
    String encoded = domain.toLowerCase(Locale.ROOT).replace(":", "__");
    return Optional.of(PREFIX + uid + "/" + encoded + "/" + path + tag);
  }

  /** Whose namespace a daemon tag is in, and the name its owner uses; empty for shared tags. */
  public static Optional<PrivateTag> parse(String daemonTag) {
    Matcher m = PRIVATE.matcher(daemonTag);
    if (!m.matches()) {
      return Optional.empty();
    }
    String domain = m.group(2).replace("__", ":");
    long uid = Long.parseLong(m.group(1));
    // a uid no caller can have still makes the tag private: nobody's, never shared
    return Optional.of(
        new PrivateTag(
            uid <= Integer.MAX_VALUE ? (int) uid : -1,
            ImageRefs.familiar(domain + "/" + m.group(3))));
  }

  /**
   * The fully qualified name a daemon tag of {@code uid}'s namespace stands for ({@code
   * berth.invalid/u1001/docker.io/library/app:1} is {@code docker.io/library/app:1}, {@code
   * berth.invalid/u1001/localhost__5000/app:1} is {@code localhost:5000/app:1}); empty for any
   * other name.
   */
  public static Optional<String> qualifiedName(String daemonTag, int uid) {
    Matcher m = PRIVATE.matcher(daemonTag);
    if (!m.matches() || !m.group(1).equals(Integer.toString(uid))) {
      return Optional.empty();
    }
    return Optional.of(m.group(2).replace("__", ":") + "/" + m.group(3));
  }

  /**
   * {@code text} (a daemon's message, a line of a progress stream) with every daemon name of {@code
   * uid}'s namespace written as that user gave it ({@code
   * berth.invalid/u1001/docker.io/library/app:1} reads {@code app:1}) and every name of another
   * user's namespace replaced by {@value #OTHERS}, so that no caller learns another user's tag.
   */
  public static String shownInText(String text, int uid) {
    if (!text.contains(REGISTRY)) {
      return text;
    }
    Matcher m = IN_TEXT.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String shown =
          parse(m.group()).filter(p -> p.uid() == uid).map(PrivateTag::name).orElse(OTHERS);
      m.appendReplacement(out, Matcher.quoteReplacement(shown));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** Whether {@code ref} names something inside the reserved registry (in any letter case). */
  public static boolean isReserved(String ref) {
    String lower = ref.toLowerCase(Locale.ROOT);
    return lower.startsWith(REGISTRY + "/")
        || lower.startsWith(REGISTRY + ":")
        || lower.equals(REGISTRY);
  }
}
