package dev.berth.policy.yaml;

import dev.berth.policy.Binding;
import dev.berth.policy.ImagePattern;
import dev.berth.policy.Policy;
import dev.berth.policy.Profile;
import dev.berth.policy.Role;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;

/**
 * Reads a policy file.
 *
 * <p>Works on SnakeYAML's node tree rather than on Java maps so that every value keeps its line and
 * column. All problems are collected, each as {@code file:line:column path: message}, and reported
 * together; unknown keys and unknown action names are errors (with a suggestion), and nothing is
 * defaulted except what the format documents ({@code passthrough: false}, {@code bind_roots: []},
 * both the safe choice). The sections have their readers ({@link RoleReader}, {@link
 * BindingReader}, {@link ProfileReader}), which share the node helpers and the list of problems
 * ({@link NodeReader}).
 */
public final class PolicyLoader extends NodeReader {
  private static final Set<String> TOP_KEYS = Set.of("roles", "bindings", "profiles", "images");

  /** Group name to gid, through NSS in production. */
  @FunctionalInterface
  public interface GroupResolver {
    Optional<Integer> gidOf(String group) throws Exception;
  }

  private final GroupResolver groups;

  private PolicyLoader(String source, GroupResolver groups) {
    super(source, new ArrayList<>());
    this.groups = groups;
  }

  /** Loads a policy file. */
  public static Policy load(Path file, GroupResolver groups) throws PolicyException, IOException {
    return load(Files.readString(file, StandardCharsets.UTF_8), file.toString(), groups);
  }

  /** Loads policy text; {@code source} names it in messages. */
  public static Policy load(String text, String source, GroupResolver groups)
      throws PolicyException {
    return new PolicyLoader(source, groups).read(text);
  }

  private Policy read(String text) throws PolicyException {
    RoleReader roleReader = new RoleReader(source, errors);
    BindingReader bindingReader = new BindingReader(source, errors, groups);
    Optional<Node> root;
    try {
      LoadSettings settings =
          LoadSettings.builder()
              .setLabel(source)
              .setAllowDuplicateKeys(false)
              .setMaxAliasesForCollections(0)
              .build();
      // What Compose.composeString does; its package is not exported by the module.
      root =
          new Composer(
                  settings,
                  new ParserImpl(settings, new StreamReader(settings, new StringReader(text))))
              .getSingleNode();
    } catch (YamlEngineException e) {
      throw new PolicyException(List.of(source + ": not valid YAML: " + e.getMessage()));
    }
    if (root.isEmpty() || !(root.get() instanceof MappingNode top)) {
      throw new PolicyException(List.of(source + ": expected a mapping with roles and bindings"));
    }
    Map<String, Node> fields = fields(top, "", TOP_KEYS);
    Map<String, Profile> profiles =
        new ProfileReader(source, errors).profiles(fields.get("profiles"));
    Map<String, Role> roles = new LinkedHashMap<>();
    Node rolesNode = require(fields, "roles", top, "");
    if (rolesNode instanceof MappingNode rm) {
      for (NodeTuple t : rm.getValue()) {
        String name = scalar(t.getKeyNode(), "roles");
        if (name == null) {
          continue;
        }
        if (!ROLE_NAME.matcher(name).matches()) {
          error(
              t.getKeyNode(),
              "roles." + name,
              "role names are lower-case letters, digits, " + "'_' and '-'");
        }
        Role role = roleReader.role(name, t.getValueNode(), profiles);
        if (role != null && roles.put(name, role) != null) {
          error(t.getKeyNode(), "roles." + name, "role defined twice");
        }
      }
    } else if (rolesNode != null) {
      error(rolesNode, "roles", "expected a mapping of role names to roles");
    }
    List<Binding> bindings = new ArrayList<>();
    Node bindingsNode = require(fields, "bindings", top, "");
    if (bindingsNode instanceof SequenceNode seq) {
      for (int i = 0; i < seq.getValue().size(); i++) {
        Binding b = bindingReader.binding("bindings[" + i + "]", seq.getValue().get(i), roles);
        if (b != null) {
          bindings.add(b);
        }
      }
    } else if (bindingsNode != null) {
      error(bindingsNode, "bindings", "expected a list of bindings");
    }
    List<ImagePattern> protectedRepositories = protectedRepositories(fields.get("images"));
    if (!errors.isEmpty()) {
      throw new PolicyException(errors);
    }
    return new Policy(roles, bindings, profiles, source, sha256(text), protectedRepositories);
  }

  /**
   * The top-level {@code images} mapping: {@code protected_repositories}, patterns of shared
   * repositories ({@link ImagePattern}, as a role's image rules write them) only administrators may
   * write.
   */
  private List<ImagePattern> protectedRepositories(@Nullable Node images) {
    List<ImagePattern> out = new ArrayList<>();
    if (images == null) {
      return out;
    }
    if (!(images instanceof MappingNode m)) {
      error(images, "images", "expected a mapping (protected_repositories)");
      return out;
    }
    Node list = fields(m, "images", Set.of("protected_repositories")).get("protected_repositories");
    List<String> texts = strings(list, "images.protected_repositories");
    for (int i = 0; i < texts.size(); i++) {
      try {
        out.add(ImagePattern.of(texts.get(i)));
      } catch (IllegalArgumentException e) {
        error(
            list instanceof SequenceNode seq ? seq.getValue().get(i) : images,
            "images.protected_repositories[" + i + "]",
            "\"" + texts.get(i) + "\": " + e.getMessage());
      }
    }
    return out;
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
