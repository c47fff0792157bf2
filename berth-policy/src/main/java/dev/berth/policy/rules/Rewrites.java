package dev.berth.policy.rules;

import java.util.ArrayList;
import java.util.List;

/** Notes of what berth changed, for the user's and the auditor's benefit. */
final class Rewrites {
  final List<String> notes = new ArrayList<>();

  void note(String s) {
    notes.add(s);
  }
}
