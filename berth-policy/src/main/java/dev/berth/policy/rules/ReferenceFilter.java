package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.RequestException;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code reference} filter of {@code docker images} ({@code docker images app}, {@code -f
 * reference='*:1'}), evaluated by berth on the list in the caller's names (issue 13).
 *
 * <p>Design note. The daemon matches each pattern against every reference of an image with {@code
 * reference.FamiliarMatch} (moby {@code daemon/images/images.go} on 20.10, {@code
 * daemon/images/image_list.go} on 28.x): Go's {@code path.Match} of the pattern against the
 * reference's familiar string ({@code app:1}), then against its familiar name ({@code app}); an
 * image keeps in {@code RepoTags} and {@code RepoDigests} only the references that match, and an
 * image none of whose references match is left out. A user's own tags are {@code
 * berth.invalid/u1001/docker.io/library/app:1} in the daemon, which {@code app} does not match, and
 * a glob cannot be rewritten into the daemon's names in general ({@code *} matches no {@code /}),
 * so berth takes {@code reference} out of the filters it forwards and applies the patterns itself
 * to the answer, after {@link ImageAccess#narrowList} dropped what the caller may not see and
 * renamed the rest: patterns only ever meet the caller's own and shared names. A malformed pattern
 * is refused before forwarding ({@code syntax error in pattern}, Go's {@code path.ErrBadPattern},
 * which the daemon answers with an error too; Go validates the whole pattern since 1.16).
 *
 * <p>Patterns are Go's {@code path.Match}: {@code *} any run of characters other than {@code /},
 * {@code ?} one such character, {@code [...]} and {@code [^...]} a class of characters and ranges
 * (which may match {@code /}), {@code \} quotes the next character. Matching is a table over
 * pattern and name (both bounded by the request line), so no pattern makes berth backtrack.
 */
final class ReferenceFilter {
  private final List<Glob> patterns;

  private ReferenceFilter(List<Glob> patterns) {
    this.patterns = List.copyOf(patterns);
  }

  /**
   * The filter of the {@code reference} values (none: everything is selected).
   *
   * @throws RequestException when a value is not a valid pattern
   */
  static ReferenceFilter of(List<String> values) throws RequestException {
    List<Glob> out = new ArrayList<>();
    for (String v : values) {
      out.add(Glob.compile(v));
    }
    return new ReferenceFilter(out);
  }

  boolean isEmpty() {
    return patterns.isEmpty();
  }

  /** Whether the reference {@code ref} (familiar: {@code app:1}, {@code x@sha256:...}) matches. */
  boolean selects(String ref) {
    String name = familiarName(ref);
    for (Glob g : patterns) {
      if (g.matches(ref) || g.matches(name)) {
        return true;
      }
    }
    return false;
  }

  /**
   * An image list (in the caller's names) as the daemon filters it: each image's {@code RepoTags}
   * and {@code RepoDigests} narrowed to the references that match, images with none left out.
   */
  JsonNode narrow(JsonNode list) {
    if (patterns.isEmpty() || !(list instanceof ArrayNode images)) {
      return list;
    }
    ArrayNode out = images.arrayNode();
    for (JsonNode item : images) {
      if (!(item instanceof ObjectNode image)) {
        continue;
      }
      ObjectNode copy = image.deepCopy();
      boolean tags = keep(copy, "RepoTags");
      boolean digests = keep(copy, "RepoDigests");
      if (tags || digests) {
        out.add(copy);
      }
    }
    return out;
  }

  private boolean keep(ObjectNode image, String field) {
    if (!(image.get(field) instanceof ArrayNode refs)) {
      return false;
    }
    ArrayNode kept = image.arrayNode();
    for (JsonNode r : refs) {
      String ref = r.asText("");
      if (!ref.startsWith("<none>") && selects(ref)) {
        kept.add(ref);
      }
    }
    image.set(field, kept);
    return !kept.isEmpty();
  }

  /** {@code app:1} and {@code app@sha256:...} are named {@code app}. */
  static String familiarName(String ref) {
    int at = ref.indexOf('@');
    String name = at >= 0 ? ref.substring(0, at) : ref;
    int colon = name.lastIndexOf(':');
    return colon > name.lastIndexOf('/') ? name.substring(0, colon) : name;
  }

  /** One pattern of Go's {@code path.Match}, validated whole when compiled. */
  static final class Glob {
    private static final int STAR = -1;
    private static final int ANY = -2;
    private static final int CLASS = -3;

    /** Per position: a code point, {@link #STAR}, {@link #ANY} or {@link #CLASS}. */
    private final int[] kinds;

    /** Per {@link #CLASS} position: negated, then lo/hi pairs. */
    private final int[][] classes;

    private Glob(int[] kinds, int[][] classes) {
      this.kinds = kinds;
      this.classes = classes;
    }

    static Glob compile(String pattern) throws RequestException {
      int[] cps = pattern.codePoints().toArray();
      List<Integer> kinds = new ArrayList<>();
      List<int[]> classes = new ArrayList<>();
      int i = 0;
      while (i < cps.length) {
        int c = cps[i];
        if (c == '*') {
          kinds.add(STAR);
          classes.add(new int[0]);
          i++;
        } else if (c == '?') {
          kinds.add(ANY);
          classes.add(new int[0]);
          i++;
        } else if (c == '\\') {
          if (i + 1 >= cps.length) {
            throw bad();
          }
          kinds.add(cps[i + 1]);
          classes.add(new int[0]);
          i += 2;
        } else if (c == '[') {
          List<Integer> cls = new ArrayList<>();
          i++;
          boolean negated = i < cps.length && cps[i] == '^';
          cls.add(negated ? 1 : 0);
          if (negated) {
            i++;
          }
          boolean first = true;
          while (true) {
            if (i < cps.length && cps[i] == ']' && !first) {
              i++;
              break;
            }
            int[] lo = classChar(cps, i);
            i = lo[1];
            int hi = lo[0];
            if (i < cps.length && cps[i] == '-') {
              int[] h = classChar(cps, i + 1);
              hi = h[0];
              i = h[1];
            }
            cls.add(lo[0]);
            cls.add(hi);
            first = false;
          }
          kinds.add(CLASS);
          classes.add(cls.stream().mapToInt(Integer::intValue).toArray());
        } else {
          kinds.add(c);
          classes.add(new int[0]);
          i++;
        }
      }
      return new Glob(
          kinds.stream().mapToInt(Integer::intValue).toArray(), classes.toArray(new int[0][]));
    }

    /** A character of a class at {@code i} (quoted or plain) and the position after it. */
    private static int[] classChar(int[] cps, int i) throws RequestException {
      if (i >= cps.length || cps[i] == '-' || cps[i] == ']') {
        throw bad();
      }
      if (cps[i] == '\\') {
        if (i + 1 >= cps.length) {
          throw bad();
        }
        return new int[] {cps[i + 1], i + 2};
      }
      return new int[] {cps[i], i + 1};
    }

    boolean matches(String name) {
      int[] s = name.codePoints().toArray();
      int n = s.length;
      // can[j]: the pattern so far matches the first j characters of the name
      boolean[] can = new boolean[n + 1];
      can[0] = true;
      for (int k = 0; k < kinds.length; k++) {
        boolean[] next = new boolean[n + 1];
        int kind = kinds[k];
        if (kind == STAR) {
          for (int j = 0; j <= n; j++) {
            next[j] = can[j] || (j > 0 && next[j - 1] && s[j - 1] != '/');
          }
        } else {
          for (int j = 1; j <= n; j++) {
            next[j] = can[j - 1] && one(k, s[j - 1]);
          }
        }
        can = next;
      }
      return can[n];
    }

    private boolean one(int k, int c) {
      int kind = kinds[k];
      if (kind == ANY) {
        return c != '/';
      }
      if (kind != CLASS) {
        return kind == c;
      }
      int[] cls = classes[k];
      boolean in = false;
      for (int p = 1; p < cls.length; p += 2) {
        if (cls[p] <= c && c <= cls[p + 1]) {
          in = true;
        }
      }
      return in != (cls[0] == 1);
    }

    private static RequestException bad() {
      return RequestException.bad("reference filter: syntax error in pattern");
    }
  }
}
