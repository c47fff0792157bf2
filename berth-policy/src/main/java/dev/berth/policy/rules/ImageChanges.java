package dev.berth.policy.rules;

import dev.berth.policy.CanonicalRequest;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code changes} of {@code docker import --change} ({@code POST /images/create?fromSrc=-}) and
 * {@code docker commit --change} ({@code POST /commit}): Dockerfile instructions the daemon applies
 * to the new image's config. berth allows those that only describe how a container of the image
 * runs, each judged again when a container is created (its user is forced to the caller's anyway),
 * and refuses the rest, one list for both commands.
 *
 * <p>Design note. The daemon joins the changes with newlines and parses them as one Dockerfile
 * (moby {@code builder/dockerfile/builder.go}, {@code BuildFromConfig}; both engines), so a change
 * with a line break or a trailing line continuation would smuggle a second instruction past a check
 * of the first word, and a first change {@code # escape=`} would be a parser directive: berth
 * allows one instruction per change, named by a keyword of ASCII letters from {@link #ALLOWED}. The
 * daemon's own list also has {@code ONBUILD} (a trigger that runs in whoever builds {@code FROM}
 * the image later), {@code HEALTHCHECK} (a command the daemon runs) and {@code STOPSIGNAL}. {@code
 * LABEL} keys are expanded by the Dockerfile shell lexer (quotes and escapes removed, {@code $VAR}
 * from the image's and earlier changes' {@code ENV}), so a {@code LABEL} is refused when it could
 * spell {@code dev.berth.*} that way: when it does with quotes and backslashes dropped, or when it
 * names a variable.
 */
final class ImageChanges {
  /** The instructions a change may be. */
  static final Set<String> ALLOWED =
      Set.of("ENV", "LABEL", "WORKDIR", "CMD", "ENTRYPOINT", "EXPOSE", "USER", "VOLUME");

  private static final Pattern KEYWORD = Pattern.compile("[A-Za-z]+");

  private ImageChanges() {}

  /**
   * The refusal of the first of the request's {@code changes} berth does not allow, worded for
   * {@code command} ({@code docker import}, {@code docker commit}); empty when all are allowed.
   */
  static Optional<String> refusal(CanonicalRequest request, String command) {
    for (String change : request.query().getAll("changes")) {
      Optional<String> why = refused(change);
      if (why.isPresent()) {
        return Optional.of("berth: " + command + " --change '" + change + "': " + why.get());
      }
    }
    return Optional.empty();
  }

  private static Optional<String> refused(String change) {
    if (change.indexOf('\n') >= 0 || change.indexOf('\r') >= 0) {
      return Optional.of("one instruction per --change");
    }
    String line = change.strip();
    if (line.endsWith("\\") || line.endsWith("`")) {
      return Optional.of("a line continuation is not allowed");
    }
    int space = line.indexOf(' ');
    int tab = line.indexOf('\t');
    int end = space < 0 ? tab : tab < 0 ? space : Math.min(space, tab);
    String word = end < 0 ? line : line.substring(0, end);
    String keyword = word.toUpperCase(Locale.ROOT);
    if (!KEYWORD.matcher(word).matches() || !ALLOWED.contains(keyword)) {
      return Optional.of(
          "only "
              + String.join(", ", ALLOWED.stream().sorted().toList())
              + " are allowed (a container of the image runs as you whatever it says)");
    }
    if (keyword.equals("LABEL")) {
      String spelled = line.replaceAll("[\"'\\\\]", "").toLowerCase(Locale.ROOT);
      if (spelled.contains("dev.berth.")) {
        return Optional.of("dev.berth.* labels are berth's");
      }
      if (line.indexOf('$') >= 0) {
        return Optional.of(
            "variables are not allowed in LABEL (they could spell berth's dev.berth.* labels)");
      }
    }
    return Optional.empty();
  }
}
