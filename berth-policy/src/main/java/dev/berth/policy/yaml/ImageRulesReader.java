package dev.berth.policy.yaml;

import dev.berth.policy.ImagePattern;
import dev.berth.policy.ImagePolicy;
import dev.berth.policy.ImageRule;
import dev.berth.policy.ImageUse;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Reads a role's {@code images} list (its {@link ImagePolicy}):
 *
 * <pre>
 * images:
 *   - {rule: site, repos: ["registry.site.edu/*"]}                      # pull, run, build
 *   - {rule: hub-pinned, repos: ["docker.io/library/*"], digests: required}
 *   - {rule: tool, repos: ["ghcr.io/org/tool"], digests: ["sha256:..."], for: [pull, run]}
 *   - {rule: site-made, made_by: admin}                                 # run, build
 *   - {rule: own-builds, made_by: self}
 * </pre>
 */
final class ImageRulesReader extends NodeReader {
  private static final Set<String> KEYS = Set.of("rule", "repos", "for", "digests", "made_by");
  private static final Pattern NAME = Pattern.compile("^[a-z0-9][a-z0-9_.-]*$");
  private static final Pattern DIGEST = Pattern.compile("^sha256:[0-9a-f]{64}$");

  ImageRulesReader(String source, List<String> errors) {
    super(source, errors);
  }

  ImagePolicy images(@Nullable Node node, String at) {
    if (node == null) {
      return ImagePolicy.ANY;
    }
    if (!(node instanceof SequenceNode seq)) {
      error(node, at, "expected a list of image rules");
      return new ImagePolicy(true, List.of());
    }
    List<ImageRule> rules = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < seq.getValue().size(); i++) {
      Node item = seq.getValue().get(i);
      String here = at + "[" + i + "]";
      if (!(item instanceof MappingNode m)) {
        error(item, here, "expected a mapping with rule and repos (or made_by)");
        continue;
      }
      rule(m, here)
          .ifPresent(
              r -> {
                if (!names.add(r.name())) {
                  error(item, here + ".rule", "rule \"" + r.name() + "\" defined twice");
                } else {
                  rules.add(r);
                }
              });
    }
    return new ImagePolicy(true, rules);
  }

  private Optional<ImageRule> rule(MappingNode m, String at) {
    Map<String, Node> f = fields(m, at, KEYS);
    int before = errors.size();
    Node nameNode = require(f, "rule", m, at);
    String name = nameNode == null ? null : scalar(nameNode, at + ".rule");
    if (name != null && !NAME.matcher(name).matches()) {
      error(
          f.get("rule"),
          at + ".rule",
          "rule names are lower-case letters, digits, '_', '.' " + "and '-'");
    }
    ImageRule.MadeBy madeBy = ImageRule.MadeBy.REGISTRY;
    Node mb = f.get("made_by");
    if (mb != null) {
      String v = scalar(mb, at + ".made_by");
      if ("admin".equals(v)) {
        madeBy = ImageRule.MadeBy.ADMIN;
      } else if ("self".equals(v)) {
        madeBy = ImageRule.MadeBy.SELF;
      } else if (v != null) {
        error(
            mb,
            at + ".made_by",
            "expected admin or self" + suggestion(v, List.of("admin", "self")));
      }
    }
    List<ImagePattern> repos = new ArrayList<>();
    Node rn = f.get("repos");
    List<String> texts = strings(rn, at + ".repos");
    for (int i = 0; i < texts.size(); i++) {
      try {
        repos.add(ImagePattern.of(texts.get(i)));
      } catch (IllegalArgumentException e) {
        error(
            rn instanceof SequenceNode seq ? seq.getValue().get(i) : m,
            at + ".repos[" + i + "]",
            "\"" + texts.get(i) + "\": " + e.getMessage());
      }
    }
    if (madeBy == ImageRule.MadeBy.REGISTRY && rn == null) {
      error(m, at, "give repos (patterns such as registry.site.edu/*) or made_by");
    }
    if (madeBy == ImageRule.MadeBy.SELF && rn != null) {
      error(
          rn,
          at + ".repos",
          "a made_by: self rule takes no repos (it matches the images "
              + "the caller made, whatever their names)");
    }
    ImageRule.Digests digests = ImageRule.Digests.ANY;
    Set<String> listed = new LinkedHashSet<>();
    Node dn = f.get("digests");
    if (dn instanceof ScalarNode s && s.getValue().equals("required")) {
      digests = ImageRule.Digests.REQUIRED;
    } else if (dn instanceof SequenceNode ds) {
      digests = ImageRule.Digests.LISTED;
      List<String> given = strings(ds, at + ".digests");
      for (int i = 0; i < given.size(); i++) {
        if (!DIGEST.matcher(given.get(i)).matches()) {
          error(
              ds.getValue().get(i),
              at + ".digests[" + i + "]",
              "expected sha256: and 64 " + "lower-case hex digits");
        }
        listed.add(given.get(i));
      }
      if (given.isEmpty()) {
        error(ds, at + ".digests", "an empty list allows nothing; drop the rule instead");
      }
    } else if (dn != null) {
      error(dn, at + ".digests", "expected required or a list of sha256: digests");
    }
    if (dn != null && madeBy != ImageRule.MadeBy.REGISTRY) {
      error(
          dn,
          at + ".digests",
          "digests apply to images from a registry, not to made_by " + "rules");
    }
    Set<ImageUse> uses =
        madeBy == ImageRule.MadeBy.REGISTRY
            ? EnumSet.allOf(ImageUse.class)
            : EnumSet.of(ImageUse.RUN, ImageUse.BUILD);
    Node fn = f.get("for");
    if (fn != null) {
      uses = EnumSet.noneOf(ImageUse.class);
      List<String> given = strings(fn, at + ".for");
      for (int i = 0; i < given.size(); i++) {
        Optional<ImageUse> u = ImageUse.byId(given.get(i));
        if (u.isEmpty()) {
          error(
              ((SequenceNode) fn).getValue().get(i),
              at + ".for[" + i + "]",
              "expected pull, "
                  + "run or build"
                  + suggestion(given.get(i), List.of("pull", "run", "build")));
        } else if (u.get() == ImageUse.PULL && madeBy != ImageRule.MadeBy.REGISTRY) {
          error(
              ((SequenceNode) fn).getValue().get(i),
              at + ".for[" + i + "]",
              "a pull always " + "comes from a registry; made_by rules are for run and build");
        } else {
          uses.add(u.get());
        }
      }
    }
    if (errors.size() > before || name == null) {
      return Optional.empty();
    }
    return Optional.of(new ImageRule(name, repos, uses, digests, listed, madeBy));
  }
}
