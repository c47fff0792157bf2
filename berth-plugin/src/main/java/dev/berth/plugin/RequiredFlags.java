package dev.berth.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.ArrayList;
import java.util.List;

/**
 * What a caller must add to a request before the plugin can allow it: the differences between what
 * the caller sent and what the proxy would have forwarded, in the fields that carry berth's
 * guarantees.
 *
 * <p>Design note. A plugin cannot change a request, so a rewrite the engine would make is turned
 * into a refusal that names the flags that make the rewrite unnecessary. Only the guarantees are
 * compared (who the process runs as, no-new-privileges, dropped capabilities, the real paths of
 * bind mounts, the owner labels that make ownership work, exec without privileges); defaults the
 * proxy adds for convenience (resource limits, explicit private namespaces) are not demanded, and
 * that difference between the modes is documented in docs/plugin-mode.md.
 */
final class RequiredFlags {
  /**
   * @param strict whether an absent field differs from an empty one (labels: an absent label is
   *     inherited from the image)
   */
  private record Guarantee(String pointer, String flag, boolean strict) {
    Guarantee(String pointer, String flag) {
      this(pointer, flag, false);
    }
  }

  private static final List<Guarantee> GUARANTEES =
      List.of(
          new Guarantee("/User", "--user %s"),
          new Guarantee("/HostConfig/SecurityOpt", "--security-opt no-new-privileges"),
          new Guarantee("/HostConfig/CapDrop", "--cap-drop ALL"),
          new Guarantee("/HostConfig/Binds", "-v with the real host paths %s"),
          new Guarantee("/HostConfig/Mounts", "--mount with the real host paths"),
          new Guarantee("/Labels/dev.berth.owner.uid", "--label dev.berth.owner.uid=%s", true),
          new Guarantee("/Labels/dev.berth.owner.gid", "--label dev.berth.owner.gid=%s", true),
          new Guarantee("/Privileged", "no --privileged"));

  private RequiredFlags() {}

  /**
   * The flags to add, empty when {@code sent} already carries every guarantee of {@code judged}.
   */
  static List<String> missing(JsonNode sent, JsonNode judged) {
    List<String> flags = new ArrayList<>();
    for (Guarantee g : GUARANTEES) {
      JsonNode want = judged.at(g.pointer());
      if (want instanceof MissingNode) {
        continue;
      }
      JsonNode have = sent.at(g.pointer());
      if (g.strict() ? !have.equals(want) : !equivalent(have, want)) {
        flags.add(g.flag().formatted(want.isValueNode() ? want.asText() : want.toString()));
      }
    }
    return flags;
  }

  /** Equal, where absent, null, false, "" and [] count as the same "nothing". */
  private static boolean equivalent(JsonNode a, JsonNode b) {
    return a.equals(b) || (isNothing(a) && isNothing(b));
  }

  private static boolean isNothing(JsonNode n) {
    return n.isMissingNode()
        || n.isNull()
        || (n.isBoolean() && !n.booleanValue())
        || (n.isTextual() && n.asText().isEmpty())
        || (n.isContainerNode() && n.isEmpty());
  }
}
