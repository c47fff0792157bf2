package dev.berth.policy.rules;

import static dev.berth.policy.rules.BodyFields.*;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.Principal;

/** The user a container or exec process runs as: the caller, by number. */
final class RunAs {
  private RunAs() {}

  static void forceUser(ObjectNode body, Principal who, Rewrites rw) throws Refusal {
    String forced = who.uid() + ":" + who.gid();
    String asked = text(body, "User");
    if (!asked.isEmpty()
        && !asked.equals(forced)
        && !asked.equals(Integer.toString(who.uid()))
        && !asked.equals(who.name())
        && !asked.equals(who.name() + ":" + who.gid())) {
      throw new Refusal(
          "--user "
              + asked
              + ": containers run as you ("
              + forced
              + "); drop "
              + "--user or use --user "
              + forced);
    }
    if (!forced.equals(asked)) {
      rw.note("User set to " + forced);
    }
    body.put("User", forced);
  }
}
