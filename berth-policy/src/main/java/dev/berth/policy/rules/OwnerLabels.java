package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.Decision;
import dev.berth.policy.Owner;
import dev.berth.policy.Profile;
import java.util.Iterator;
import java.util.Map;

/** Labels {@code dev.berth.*} are berth's. */
final class OwnerLabels {
  private OwnerLabels() {}

  /**
   * Labels {@code dev.berth.*} are berth's: a caller may give only the owner labels berth would set
   * anyway (in plugin mode, where berth cannot add them, the caller must).
   */
  static void checkBerthLabels(JsonNode labels, Owner owner, String what) throws Refusal {
    Map<String, String> expected = owner.labels();
    for (Iterator<Map.Entry<String, JsonNode>> it = labels.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().startsWith("dev.berth.")
          && !e.getKey().equals(Profile.LABEL)
          && !e.getValue().asText("").equals(expected.get(e.getKey()))) {
        throw new Refusal(
            Decision.Status.FORBIDDEN,
            what + ": labels dev.berth.* are set by " + "berth (yours are " + expected + ")");
      }
    }
  }
}
