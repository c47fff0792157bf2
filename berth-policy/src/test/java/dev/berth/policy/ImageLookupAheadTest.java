package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.ENGINE;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A container create's image is looked up under the caller's private name and, at the same time, as
 * given ({@link ObjectDirectory#ahead}): the decision is the one the two lookups made one after the
 * other gave, and the second answer counts only when the first did not decide.
 */
class ImageLookupAheadTest {
  private static final String ALICE_APP = "sha256:" + "a".repeat(64);
  private static final String SHARED_APP = "sha256:" + "c".repeat(64);
  private static final String ALICE_TAG = "berth.invalid/u1001/docker.io/library/app:1";

  private static Decision create(FakeObjects objects) {
    return Fixtures.decide(
        ENGINE, objects, ALICE, "POST", "/v1.51/containers/create", "{\"Image\":\"app:1\"}");
  }

  private static String forwardedImage(Decision d) {
    assertThat(d).isInstanceOf(Decision.Allow.class);
    CanonicalRequest.Body body = ((Decision.Allow) d).forward().body();
    assertThat(body).isInstanceOf(CanonicalRequest.Body.Json.class);
    return ((CanonicalRequest.Body.Json) body).value().path("Image").asText();
  }

  @Test
  void create_ownImage_winsAndTheFailedLookupAheadOfTheSharedNameIsIgnored() {
    FakeObjects objects =
        Fixtures.objects()
            .image(ALICE_APP, FakeObjects.owner(1001), Map.of(ALICE_TAG, Optional.empty()))
            .image(SHARED_APP, Optional.empty(), Map.of("app:1", Optional.empty()));
    objects.failingImages.add("app:1");
    assertThat(forwardedImage(create(objects))).isEqualTo(ALICE_TAG);
    assertThat(objects.lookupsAhead).isEqualTo(1);
  }

  @Test
  void create_noOwnImage_theSharedImageFromTheLookupAhead() {
    FakeObjects objects =
        Fixtures.objects().image(SHARED_APP, Optional.empty(), Map.of("app:1", Optional.empty()));
    assertThat(forwardedImage(create(objects))).isEqualTo("app:1");
    assertThat(objects.lookupsAhead).isEqualTo(1);
  }

  @Test
  void create_noOwnImage_sharedLookupFailed_refusedAsUndecidable() {
    FakeObjects objects =
        Fixtures.objects().image(SHARED_APP, Optional.empty(), Map.of("app:1", Optional.empty()));
    objects.failingImages.add("app:1");
    assertThat(create(objects)).isInstanceOf(Decision.Indeterminate.class);
  }
}
