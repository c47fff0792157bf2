package dev.berth.policy;

import java.util.Map;
import java.util.Optional;

/**
 * Who an object belongs to.
 *
 * @param uid the user who created it
 * @param gid the group it is shared with, or -1 when it is not shared
 */
public record Owner(int uid, int gid) {
  /** Label with the owner's uid, stamped on containers, volumes and networks. */
  public static final String UID_LABEL = "dev.berth.owner.uid";

  /** Label with the sharing group's gid (empty when not shared), stamped next to the uid. */
  public static final String GID_LABEL = "dev.berth.owner.gid";

  /**
   * The owner recorded in an object's labels, or empty when the labels name none (an object created
   * without berth, or labels that are not berth's decimal ids).
   */
  public static Optional<Owner> fromLabels(Map<String, String> labels) {
    String uid = labels.get(UID_LABEL);
    if (uid == null || !isDecimal(uid)) {
      return Optional.empty();
    }
    String gid = labels.getOrDefault(GID_LABEL, "");
    return Optional.of(
        new Owner(Integer.parseInt(uid), isDecimal(gid) ? Integer.parseInt(gid) : -1));
  }

  /** The labels that record this owner. */
  public Map<String, String> labels() {
    return Map.of(
        UID_LABEL, Integer.toString(uid), GID_LABEL, gid < 0 ? "" : Integer.toString(gid));
  }

  /**
   * Whether {@code s} is a uid or gid berth can hold: decimal digits up to {@link
   * Integer#MAX_VALUE} (ten digits: SSSD maps directory users up to 2,000,200,000 by default).
   */
  private static boolean isDecimal(String s) {
    if (s.isEmpty() || s.length() > 10) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return Long.parseLong(s) <= Integer.MAX_VALUE;
  }
}
