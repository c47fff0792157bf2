package dev.berth.policy;

import java.util.Optional;

/**
 * What berth recorded about images, which carry no labels (berth's side store). Answered from
 * memory: safe to ask while rewriting an answer.
 */
public interface ImageClaims {
  /** The user who made the image ({@code commit}, {@code build}), when one is recorded. */
  Optional<Owner> imageOwner(String imageId);

  /**
   * The user who made the shared-name tag {@code tag} before tags had namespaces (berth 0.1
   * recorded a user's {@code docker tag} under the name given), while the tag still points at
   * {@code imageId}: such a tag stays its maker's and is hidden from everyone else. Empty for tags
   * pulled from a registry and for tags berth recorded nothing about.
   */
  Optional<Owner> heldTag(String tag, String imageId);

  /** No records: every image is nobody's. */
  ImageClaims NONE =
      new ImageClaims() {
        @Override
        public Optional<Owner> imageOwner(String imageId) {
          return Optional.empty();
        }

        @Override
        public Optional<Owner> heldTag(String tag, String imageId) {
          return Optional.empty();
        }
      };
}
