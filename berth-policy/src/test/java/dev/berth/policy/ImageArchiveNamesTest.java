package dev.berth.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.docker.DockerJson;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The tag-bearing entries of {@code docker save} archives, rewritten into alice's namespace. */
class ImageArchiveNamesTest {
  private static final ImageArchiveNames ALICE = new ImageArchiveNames(1001);
  private static final String LAYER = "a".repeat(64);

  private static JsonNode rewrite(String entry, String json) throws RequestException {
    return DockerJson.parse(ALICE.rewrite(entry, json.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void manifest_docker2010Layout_everyTagPrivate() throws Exception {
    JsonNode out =
        rewrite(
            "manifest.json",
            "[{\"Config\":\"c.json\",\"RepoTags\":[\"busybox:latest\",\"localhost:5000/app:1\"],"
                + "\"Layers\":[\""
                + LAYER
                + "/layer.tar\"]}]");
    assertThat(out.get(0).get("RepoTags").get(0).asText())
        .isEqualTo("berth.invalid/u1001/docker.io/library/busybox:latest");
    assertThat(out.get(0).get("RepoTags").get(1).asText())
        .isEqualTo("berth.invalid/u1001/localhost__5000/app:1");
    assertThat(out.get(0).get("Layers").get(0).asText()).isEqualTo(LAYER + "/layer.tar");
    assertThat(out.get(0).get("Config").asText()).isEqualTo("c.json");
  }

  @Test
  void manifest_untaggedImage_keptUntagged() throws Exception {
    JsonNode out = rewrite("manifest.json", "[{\"Config\":\"c.json\",\"RepoTags\":null}]");
    assertThat(out.get(0).get("RepoTags").isNull()).isTrue();
  }

  @Test
  void repositories_legacyLayout_repositoryPrivate() throws Exception {
    JsonNode out =
        rewrite("repositories", "{\"busybox\":{\"latest\":\"" + LAYER + "\",\"1\":\"x\"}}");
    JsonNode repo = out.get("berth.invalid/u1001/docker.io/library/busybox");
    assertThat(repo.get("latest").asText()).isEqualTo(LAYER);
    assertThat(repo.get("1").asText()).isEqualTo("x");
    assertThat(out.has("busybox")).isFalse();
  }

  @Test
  void index_oci28Layout_bothAnnotationsPrivate() throws Exception {
    JsonNode out =
        rewrite(
            "index.json",
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
                + "\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"digest\":\"sha256:"
                + LAYER
                + "\",\"size\":480,\"annotations\":{"
                + "\"io.containerd.image.name\":\"docker.io/library/busybox:latest\","
                + "\"org.opencontainers.image.ref.name\":\"latest\"}}]}");
    JsonNode a = out.get("manifests").get(0).get("annotations");
    assertThat(a.get("io.containerd.image.name").asText())
        .isEqualTo("berth.invalid/u1001/docker.io/library/busybox:latest");
    assertThat(a.get("org.opencontainers.image.ref.name").asText()).isEqualTo("latest");
    assertThat(out.get("manifests").get(0).get("digest").asText()).isEqualTo("sha256:" + LAYER);
  }

  @Test
  void index_fullRefNameOnly_mappedToFullPrivateName() throws Exception {
    JsonNode out =
        rewrite(
            "index.json",
            "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:"
                + LAYER
                + "\",\"annotations\":{\"org.opencontainers.image.ref.name\":\"python:3.12\"}}]}");
    assertThat(
            out.get("manifests").get(0).get("annotations").get("org.opencontainers.image.ref.name"))
        .hasToString("\"berth.invalid/u1001/docker.io/library/python:3.12\"");
  }

  @Test
  void index_noAnnotations_unchanged() throws Exception {
    String in = "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:" + LAYER + "\"}]}";
    assertThat(rewrite("index.json", in)).isEqualTo(DockerJson.parse(in.getBytes()));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "berth.invalid/u1002/docker.io/library/python:3.12",
        "BERTH.INVALID/u1001/docker.io/library/busybox:latest",
        "berth.invalid:443/x:1"
      })
  void manifest_reservedRegistryTag_refused(String tag) {
    assertThatThrownBy(() -> rewrite("manifest.json", "[{\"RepoTags\":[\"" + tag + "\"]}]"))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("docker load")
        .hasMessageContaining("berth.invalid");
  }

  @Test
  void manifest_loadersOwnNamespaceTag_kept() throws Exception {
    // docker save of alice's own tag through berth writes the daemon's name of it
    JsonNode out =
        rewrite(
            "manifest.json",
            "[{\"RepoTags\":[\"berth.invalid/u1001/docker.io/library/python:3.12\"]}]");
    assertThat(out.get(0).get("RepoTags").get(0).asText())
        .isEqualTo("berth.invalid/u1001/docker.io/library/python:3.12");
  }

  @Test
  void index_reservedImageName_refused() {
    assertThatThrownBy(
            () ->
                rewrite(
                    "index.json",
                    "{\"manifests\":[{\"annotations\":{\"io.containerd.image.name\":"
                        + "\"berth.invalid/u1002/docker.io/library/busybox:latest\"}}]}"))
        .hasMessageContaining("berth.invalid");
  }

  @Test
  void repositories_reservedRepository_refused() {
    assertThatThrownBy(
            () ->
                rewrite(
                    "repositories",
                    "{\"berth.invalid/u1002/docker.io/library/busybox\":{\"latest\":\"x\"}}"))
        .hasMessageContaining("berth.invalid");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "busybox@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "UPPER:case",
        "[::1]:5000/app:1",
        ""
      })
  void manifest_tagThatCannotBeAUsers_refused(String tag) {
    assertThatThrownBy(() -> rewrite("manifest.json", "[{\"RepoTags\":[\"" + tag + "\"]}]"))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("docker load");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "not json",
        "{\"RepoTags\":[\"a\"]}",
        "[{\"RepoTags\":\"busybox\"}]",
        "[{\"RepoTags\":[1]}]",
        "[{\"RepoTags\":[\"a:1\"],\"RepoTags\":[\"b:1\"]}]",
        "[1]",
        ""
      })
  void manifest_malformed_refused(String json) {
    assertThatThrownBy(() -> rewrite("manifest.json", json))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("docker load");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[]",
        "{\"manifests\":{}}",
        "{\"manifests\":[1]}",
        "{\"manifests\":[{\"annotations\":[]}]}",
        "{\"manifests\":[{\"annotations\":{\"io.containerd.image.name\":1}}]}"
      })
  void index_malformed_refused(String json) {
    assertThatThrownBy(() -> rewrite("index.json", json)).isInstanceOf(RequestException.class);
  }

  @Test
  void repositories_malformed_refused() {
    assertThatThrownBy(() -> rewrite("repositories", "{\"busybox\":\"latest\"}"))
        .isInstanceOf(RequestException.class);
    assertThatThrownBy(() -> rewrite("repositories", "[]")).isInstanceOf(RequestException.class);
  }

  @Test
  void isTagEntry_onlyTheThreeRootEntries() {
    assertThat(ALICE.isTagEntry("manifest.json")).isTrue();
    assertThat(ALICE.isTagEntry("repositories")).isTrue();
    assertThat(ALICE.isTagEntry("index.json")).isTrue();
    assertThat(ALICE.isTagEntry("blobs/sha256/manifest.json")).isFalse();
    assertThat(ALICE.isTagEntry(LAYER + "/json")).isFalse();
    assertThat(ALICE.isTagEntry("oci-layout")).isFalse();
  }

  @Test
  void madeImage_loadAndImportAnswers() throws Exception {
    assertThat(
            ImageArchiveNames.madeImage(
                DockerJson.parse(
                    "{\"stream\":\"Loaded image: berth.invalid/u1001/docker.io/library/a:1\\n\"}"
                        .getBytes())))
        .contains("berth.invalid/u1001/docker.io/library/a:1");
    assertThat(
            ImageArchiveNames.madeImage(
                DockerJson.parse(
                    ("{\"stream\":\"Loaded image ID: sha256:" + LAYER + "\\n\"}").getBytes())))
        .contains("sha256:" + LAYER);
    assertThat(
            ImageArchiveNames.madeImage(
                DockerJson.parse(("{\"status\":\"sha256:" + LAYER + "\"}").getBytes())))
        .contains("sha256:" + LAYER);
    assertThat(
            ImageArchiveNames.madeImage(
                DockerJson.parse("{\"status\":\"Loading layer\",\"id\":\"x\"}".getBytes())))
        .isEmpty();
  }
}
