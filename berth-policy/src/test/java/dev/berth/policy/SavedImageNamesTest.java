package dev.berth.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.docker.DockerJson;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The tag entries of a {@code docker save} archive as alice gets them: her own tags as she named
 * them, shared tags as they are, another user's never; loading the result makes them hers again.
 */
class SavedImageNamesTest {
  private static final SavedImageNames ALICE = new SavedImageNames(1001);
  private static final String OWN = "berth.invalid/u1001/docker.io/library/app:1";
  private static final String OWN_REGISTRY = "berth.invalid/u1001/localhost__5000/alice/app:1";
  private static final String BOBS = "berth.invalid/u1002/docker.io/library/app:1";

  private static String shown(String entry, String json) throws RequestException {
    return new String(
        ALICE.rewrite(entry, json.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
  }

  @Test
  void manifest_ownTagsPlain_sharedKept_othersDropped() throws Exception {
    JsonNode out =
        DockerJson.parse(
            shown(
                    "manifest.json",
                    "[{\"Config\":\"c\",\"RepoTags\":[\""
                        + OWN
                        + "\",\""
                        + OWN_REGISTRY
                        + "\",\"busybox:latest\",\""
                        + BOBS
                        + "\"],\"Layers\":[\"l\"]}]\n")
                .getBytes(StandardCharsets.UTF_8));
    assertThat(out.at("/0/RepoTags").toString())
        .isEqualTo("[\"app:1\",\"localhost:5000/alice/app:1\",\"busybox:latest\"]");
    assertThat(out.at("/0/Layers/0").asText()).isEqualTo("l");
  }

  @Test
  void manifest_trailingNewlineKept() throws Exception {
    assertThat(shown("manifest.json", "[{\"RepoTags\":[\"" + OWN + "\"]}]\n")).endsWith("]\n");
    assertThat(shown("index.json", "{\"manifests\":[]}")).endsWith("}");
  }

  @Test
  void repositories_ownRepositoryPlain_othersDropped() throws Exception {
    JsonNode out =
        DockerJson.parse(
            shown(
                    "repositories",
                    "{\"berth.invalid/u1001/docker.io/library/app\":{\"1\":\"x\"},"
                        + "\"berth.invalid/u1002/docker.io/library/app\":{\"1\":\"y\"}}")
                .getBytes(StandardCharsets.UTF_8));
    assertThat(out.toString()).isEqualTo("{\"app\":{\"1\":\"x\"}}");
  }

  @Test
  void index_ownFullNamePlainQualified_othersAnnotationsDropped() throws Exception {
    JsonNode out =
        DockerJson.parse(
            shown(
                    "index.json",
                    "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:1\",\"annotations\":{"
                        + "\"io.containerd.image.name\":\""
                        + OWN_REGISTRY
                        + "\",\"org.opencontainers.image.ref.name\":\"1\"}},"
                        + "{\"digest\":\"sha256:2\",\"annotations\":{"
                        + "\"io.containerd.image.name\":\""
                        + BOBS
                        + "\",\"org.opencontainers.image.ref.name\":\"1\"}}]}")
                .getBytes(StandardCharsets.UTF_8));
    assertThat(out.at("/manifests/0/annotations/io.containerd.image.name").asText())
        .isEqualTo("localhost:5000/alice/app:1");
    assertThat(out.at("/manifests/0/annotations/org.opencontainers.image.ref.name").asText())
        .isEqualTo("1");
    assertThat(out.at("/manifests/1/digest").asText()).isEqualTo("sha256:2");
    assertThat(out.at("/manifests/1").has("annotations")).isFalse();
  }

  @Test
  void index_refNameThatIsAFullName_ownQualified_othersDropped() throws Exception {
    JsonNode out =
        DockerJson.parse(
            shown(
                    "index.json",
                    "{\"manifests\":[{\"annotations\":{\"org.opencontainers.image.ref.name\":\""
                        + OWN_REGISTRY
                        + "\"}},{\"annotations\":{\"org.opencontainers.image.ref.name\":\""
                        + BOBS
                        + "\",\"org.example\":\"kept\"}}]}")
                .getBytes(StandardCharsets.UTF_8));
    assertThat(out.at("/manifests/0/annotations/org.opencontainers.image.ref.name").asText())
        .isEqualTo("localhost:5000/alice/app:1");
    assertThat(out.at("/manifests/1/annotations").toString())
        .isEqualTo("{\"org.example\":\"kept\"}");
  }

  @Test
  void repositories_notAnObject_passedAsWritten() throws Exception {
    assertThat(shown("repositories", "[]")).isEqualTo("[]");
  }

  @Test
  void saveThenLoad_sameUser_tagStaysTheirs_otherUser_becomesTheirs() throws Exception {
    String saved = shown("manifest.json", "[{\"RepoTags\":[\"" + OWN + "\"]}]");
    byte[] again =
        new ImageArchiveNames(1001)
            .rewrite("manifest.json", saved.getBytes(StandardCharsets.UTF_8));
    assertThat(new String(again, StandardCharsets.UTF_8)).contains(OWN);
    byte[] bobs =
        new ImageArchiveNames(1002)
            .rewrite("manifest.json", saved.getBytes(StandardCharsets.UTF_8));
    assertThat(new String(bobs, StandardCharsets.UTF_8)).contains(BOBS);
  }
}
