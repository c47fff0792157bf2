package dev.berth.policy.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.Action;
import dev.berth.policy.ImagePolicy;
import dev.berth.policy.ImageRule;
import dev.berth.policy.ImageUse;
import dev.berth.policy.Policy;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Issue 16 item 2: a role's {@code images} list, and every mistake in it located. */
class ImageRulesReaderTest {
  private static final String D = "sha256:" + "ab".repeat(32);

  private static Policy load(String images) throws PolicyException {
    return PolicyLoader.load(
        """
        roles:
          user:
            actions: [container_create, image_create]
            images:
        %s
        bindings:
          - {role: user, users: ["*"]}
        """
            .formatted(images.indent(6).stripTrailing()),
        "p.yaml",
        g -> Optional.empty());
  }

  private static ImagePolicy images(String images) throws PolicyException {
    return load(images).roles().get("user").images();
  }

  @Test
  void load_everyKindOfRule_read() throws Exception {
    ImagePolicy p =
        images(
            """
        - {rule: site, repos: ["registry.site.edu/*", "Localhost:5000/*"]}
        - {rule: hub, repos: ["docker.io/library/*"], digests: required, for: [pull, run]}
        - {rule: tool, repos: ["ghcr.io/org/tool"], digests: ["%s"]}
        - {rule: site-made, made_by: admin}
        - {rule: own, made_by: self, for: [run]}
        """
                .formatted(D));
    assertThat(p.restricts()).isTrue();
    assertThat(p.rules())
        .extracting(ImageRule::name)
        .containsExactly("site", "hub", "tool", "site-made", "own");
    ImageRule site = p.rules().get(0);
    assertThat(site.uses()).containsExactlyInAnyOrder(ImageUse.values());
    assertThat(site.repos()).hasToString("[registry.site.edu/*, localhost:5000/*]");
    assertThat(p.rules().get(1).digests()).isEqualTo(ImageRule.Digests.REQUIRED);
    assertThat(p.rules().get(1).uses()).containsExactlyInAnyOrder(ImageUse.PULL, ImageUse.RUN);
    assertThat(p.rules().get(2).allowedDigests()).containsExactly(D);
    assertThat(p.rules().get(3).madeBy()).isEqualTo(ImageRule.MadeBy.ADMIN);
    assertThat(p.rules().get(3).uses()).isEqualTo(Set.of(ImageUse.RUN, ImageUse.BUILD));
    assertThat(p.rules().get(4).uses()).containsExactly(ImageUse.RUN);
  }

  @Test
  void load_noImagesKey_anyImage() throws Exception {
    Policy p =
        PolicyLoader.load(
            """
        roles:
          user: {actions: [container_create]}
        bindings: []
        """,
            "p.yaml",
            g -> Optional.empty());
    assertThat(p.roles().get("user").images()).isEqualTo(ImagePolicy.ANY);
    assertThat(PolicyDefaults.policy().roles().values())
        .allSatisfy(r -> assertThat(r.images().restricts()).isFalse());
  }

  @Test
  void load_emptyList_restrictsEverything() throws Exception {
    ImagePolicy p = images("[]");
    assertThat(p.restricts()).isTrue();
    assertThat(p.rules()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "- {rule: a, repos: [\"busybox\"]}|write docker.io/library/busybox for Docker Hub",
        "- {rule: a, repos: [\"alice/*\"]}|the first part must be a registry (write "
            + "docker.io/alice/* for Docker Hub)",
        "- {rule: a, repos: [\"library/*\"]}|write docker.io/library/*",
        "- {rule: a, repos: [\"index.docker.io/library/*\"]}|write docker.io",
        "- {rule: a, repos: [\"docker.io/Library/*\"]}|lower-case",
        "- {rule: a, repos: [\"docker.io/library/busybox:1\"]}|lower-case",
        "- {rule: a, repos: [\"docker.io/\"]}|expected registry/repository",
        "- {rule: a}|give repos",
        "- {repos: [\"docker.io/library/*\"]}|rule: missing (required)",
        "- {rule: A B, repos: [\"docker.io/library/*\"]}|rule names are",
        "- {rule: a, made_by: self, repos: [\"docker.io/library/*\"]}|takes no repos",
        "- {rule: a, made_by: admin, digests: required}|digests apply to images from a registry",
        "- {rule: a, made_by: root}|expected admin or self",
        "- {rule: a, made_by: admin, for: [pull]}|a pull always comes from a registry",
        "- {rule: a, repos: [\"docker.io/library/*\"], for: [push]}|expected pull, run or build",
        "- {rule: a, repos: [\"docker.io/library/*\"], digests: pinned}|expected required or a "
            + "list",
        "- {rule: a, repos: [\"docker.io/library/*\"], digests: [\"sha256:abc\"]}|expected "
            + "sha256: and 64",
        "- {rule: a, repos: [\"docker.io/library/*\"], digests: []}|an empty list allows nothing",
        "- {rule: a, repos: [\"docker.io/library/*\"], allow: all}|unknown key \"allow\"",
        "[{rule: a, made_by: admin}, {rule: a, made_by: self}]|rule \"a\" defined twice",
        "{rule: a, made_by: admin}|expected a list of image rules",
      })
  void load_mistake_locatedAndExplained(String images, String message) {
    assertThatThrownBy(() -> load(images))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("p.yaml:")
        .hasMessageContaining("roles.user.images")
        .hasMessageContaining(message);
  }

  @Test
  void load_imagesOnPassthroughRole_refused() {
    assertThatThrownBy(
            () ->
                PolicyLoader.load(
                    """
        roles:
          admin: {actions: all, passthrough: true, images: [{rule: a, made_by: admin}]}
        bindings: []
        """,
                    "p.yaml",
                    g -> Optional.empty()))
        .hasMessageContaining("a passthrough role is " + "not judged");
  }

  @Test
  void load_imageLoadWithImageRules_refused() {
    assertThatThrownBy(
            () ->
                PolicyLoader.load(
                    """
        roles:
          user: {actions: [image_load], images: [{rule: a, made_by: self}]}
        bindings: []
        """,
                    "p.yaml",
                    g -> Optional.empty()))
        .hasMessageContaining("drop image_load");
  }

  @ParameterizedTest
  @CsvSource({"service", "plugin"})
  void load_servicesOrPluginsWithImageRules_refused(String action) {
    assertThatThrownBy(
            () ->
                PolicyLoader.load(
                    """
        roles:
          ops: {actions: [%s], scope: all, images: [{rule: a, made_by: admin}]}
        bindings: []
        """
                        .formatted(action),
                    "p.yaml",
                    g -> Optional.empty()))
        .hasMessageContaining("drop " + action + " from this role");
  }

  @Test
  void load_userRoleLoadsWhileAdminImagesAreTrusted_accepted() throws Exception {
    // a user's docker load writes only into the user's namespace (ImageArchiveNames), never a
    // shared name that made_by: admin would trust
    Policy p =
        PolicyLoader.load(
            """
        roles:
          user: {actions: [container_create], images: [{rule: a, made_by: admin}]}
          loader: {actions: [image_load]}
        bindings: []
        """,
            "p.yaml",
            g -> Optional.empty());
    assertThat(p.roles().get("loader").actions()).contains(Action.IMAGE_LOAD);
  }

  @Test
  void load_administratorsMayLoadWhileAdminImagesAreTrusted() throws Exception {
    PolicyLoader.load(
        """
        roles:
          admin: {actions: all, passthrough: true}
          ops: {actions: [image_load], scope: all}
          user: {actions: [container_create], images: [{rule: a, made_by: admin}]}
        bindings: []
        """,
        "p.yaml",
        g -> Optional.empty());
  }
}
