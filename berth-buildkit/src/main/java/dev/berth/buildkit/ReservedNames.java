package dev.berth.buildkit;

import dev.berth.policy.ImageNamespace;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Whether a BuildKit build's Dockerfile names berth's reserved registry ({@code berth.invalid}),
 * where every user's private images live (issue 13).
 *
 * <p>Design note. BuildKit resolves {@code FROM}, {@code COPY --from} and {@code RUN --mount from=}
 * itself; on engines from API 1.44 the source policy berth sends with each Solve denies every
 * source under {@code berth.invalid} ({@link ImageSourcePolicy}), but older engines (20.10) ignore
 * source policies, and a user's {@code FROM berth.invalid/u1002/...} would reach another user's
 * image. So the held Dockerfile (see {@link SessionCall}) of a user is refused when the reserved
 * name appears in it in any letter case, also split by what the frontend removes before it reads a
 * name: line continuations, blanks, quotes and escape characters (the text is searched with those
 * left out, which may refuse a Dockerfile that only mentions the name elsewhere; no user needs it
 * there). Not caught: a name assembled from variables ({@code ${REG}/u1002/x} with the registry in
 * a build-arg or an ARG default); the Solve's build-args reach berth on another connection than the
 * Dockerfile's transfer.
 */
final class ReservedNames {
  private static final String RESERVED = ImageNamespace.REGISTRY;

  private ReservedNames() {}

  /** Whether {@code dockerfile} names the reserved registry. */
  static boolean named(byte[] dockerfile) {
    String text = new String(dockerfile, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
    StringBuilder squashed = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!(Character.isWhitespace(c)
          || Character.isSpaceChar(c)
          || c == '\\'
          || c == '`'
          || c == '"'
          || c == '\'')) {
        squashed.append(c);
      }
    }
    return squashed.indexOf(RESERVED) >= 0;
  }
}
