package dev.berth.policy.rules;

import static dev.berth.policy.rules.OwnershipRules.ownerFilter;

import dev.berth.policy.ContainerUsage;
import dev.berth.policy.Decision;
import dev.berth.policy.Grant;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Principal;
import dev.berth.policy.Quota;
import dev.berth.policy.Scope;
import java.util.List;

/**
 * The role's quota on a starting container: the caller's (or, with scope group, the sharing
 * group's) active containers and it must stay within it.
 */
final class ContainerQuota {
  private ContainerQuota() {}

  /**
   * A container that is not active yet may start only if the caller's (or, with scope group, the
   * sharing group's) active containers and it stay within the role's quota. Each resource with a
   * quota must be limited on the starting container (the role's defaults see to that when the user
   * asks for nothing); active containers without a limit count as zero.
   */
  static void check(String id, Principal who, Grant grant, ObjectDirectory objects)
      throws Refusal, LookupException {
    Quota q = grant.role().quota();
    ContainerUsage me = objects.usage(id);
    if (me.active()) {
      return; // it counts already
    }
    List<ContainerUsage> others =
        objects.active(ownerFilter(who, grant)).stream().filter(u -> !u.id().equals(id)).toList();
    String whose = grant.role().scope() == Scope.GROUP ? "your group's" : "your";
    if (q.containers() > 0 && others.size() + 1 > q.containers()) {
      throw quota(
          whose
              + " running containers are limited to "
              + q.containers()
              + " ("
              + others.size()
              + " running); stop one first");
    }
    checkQuota(
        "memory (bytes)",
        "--memory",
        q.memory(),
        me.memory(),
        others.stream().mapToLong(ContainerUsage::memory).filter(v -> v > 0).sum(),
        whose);
    checkQuota(
        "CPUs (x10^9)",
        "--cpus",
        q.nanoCpus(),
        me.nanoCpus(),
        others.stream().mapToLong(ContainerUsage::nanoCpus).filter(v -> v > 0).sum(),
        whose);
    checkQuota(
        "PIDs",
        "--pids-limit",
        q.pids(),
        me.pids(),
        others.stream().mapToLong(ContainerUsage::pids).filter(v -> v > 0).sum(),
        whose);
  }

  static void checkQuota(String what, String flag, long quota, long mine, long used, String whose)
      throws Refusal {
    if (quota <= 0) {
      return;
    }
    if (mine <= 0) {
      throw quota(
          "this container has no "
              + flag
              + " limit, and "
              + whose
              + " "
              + what
              + " are limited to "
              + quota
              + " in total; recreate it with "
              + flag);
    }
    if (used + mine > quota) {
      throw quota(
          whose
              + " "
              + what
              + " are limited to "
              + quota
              + " in total; running "
              + "containers use "
              + used
              + " and this one asks for "
              + mine);
    }
  }

  static Refusal quota(String message) {
    return new Refusal(Decision.Status.FORBIDDEN, "quota exceeded: " + message);
  }
}
