package dev.berth.policy.rules;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.Effect;
import java.util.ArrayList;
import java.util.List;

/** The request as rewritten so far, with notes, effects and what to do with the answer. */
final class Step {
  CanonicalRequest request;
  final FollowUp followUp;
  final List<String> notes = new ArrayList<>();
  final List<Effect> effects = new ArrayList<>();

  Step(CanonicalRequest request) {
    this(request, FollowUp.NONE);
  }

  Step(CanonicalRequest request, FollowUp followUp) {
    this.request = request;
    this.followUp = followUp;
  }

  void note(String s) {
    notes.add(s);
  }
}
