package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static dev.berth.policy.Fixtures.create;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.yaml.PolicyLoader;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HC-27: {@code ShmSize}, tmpfs sizes and ulimits within the role's limits. The default policy
 * gives users shm and tmpfs {default 64m, max 1g} and ulimits nofile 1048576, nproc 32768, core 0,
 * memlock 64m, stack 64m.
 */
class TmpfsAndUlimitsTest {
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;

  private static JsonNode allowed(String hostConfig) {
    Decision d = create(ALICE, "{\"Image\":\"x\",\"HostConfig\":" + hostConfig + "}");
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return ((CanonicalRequest.Body.Json) ((Decision.Allow) d).forward().body())
        .value()
        .path("HostConfig");
  }

  private static String refused(String hostConfig) {
    Decision d = create(ALICE, "{\"Image\":\"x\",\"HostConfig\":" + hostConfig + "}");
    assertThat(d).isInstanceOf(Decision.Deny.class);
    return ((Decision.Deny) d).reason();
  }

  @Test
  void create_noShmSize_getsTheRoleDefault() {
    assertThat(allowed("{}").path("ShmSize").asLong()).isEqualTo(64 * MIB);
  }

  @Test
  void create_shmSizeAtTheMaximum_allowed() {
    assertThat(allowed("{\"ShmSize\":" + GIB + "}").path("ShmSize").asLong()).isEqualTo(GIB);
  }

  @Test
  void create_shmSizeAboveTheMaximum_refused() {
    assertThat(refused("{\"ShmSize\":" + (GIB + 1) + "}"))
        .contains("--shm-size")
        .contains("exceeds your role's maximum of " + GIB);
  }

  @Test
  void create_negativeShmSize_refused() {
    assertThat(refused("{\"ShmSize\":-1}")).contains("must not be negative");
  }

  @Test
  void create_unsizedTmpfs_getsTheDefaultSize() {
    JsonNode hc = allowed("{\"Tmpfs\":{\"/t\":\"\",\"/u\":\"rw,noexec\"}}");
    assertThat(hc.path("Tmpfs").path("/t").asText()).isEqualTo("size=" + 64 * MIB);
    assertThat(hc.path("Tmpfs").path("/u").asText()).isEqualTo("rw,noexec,size=" + 64 * MIB);
  }

  @Test
  void create_tmpfsSizeWithinTheMaximum_keptAsSent() {
    JsonNode hc = allowed("{\"Tmpfs\":{\"/t\":\"size=1g,mode=1777\",\"/u\":\"size=512k\"}}");
    assertThat(hc.path("Tmpfs").path("/t").asText()).isEqualTo("size=1g,mode=1777");
    assertThat(hc.path("Tmpfs").path("/u").asText()).isEqualTo("size=512k");
  }

  @Test
  void create_tmpfsSizeAboveTheMaximum_refused() {
    assertThat(refused("{\"Tmpfs\":{\"/t\":\"size=2g\"}}"))
        .contains("--tmpfs /t")
        .contains("exceeds your role's maximum");
  }

  @Test
  void create_tmpfsSizeZero_isUnlimitedAndRefused() {
    assertThat(refused("{\"Tmpfs\":{\"/t\":\"size=0\"}}")).contains("unlimited size");
  }

  @Test
  void create_tmpfsSizeInPercentHexOrOctal_refused() {
    assertThat(refused("{\"Tmpfs\":{\"/t\":\"size=50%\"}}")).contains("is not a size");
    assertThat(refused("{\"Tmpfs\":{\"/t\":\"size=0x40000000\"}}")).contains("is not a size");
    assertThat(refused("{\"Tmpfs\":{\"/t\":\"size=010g\"}}")).contains("is not a size");
  }

  @Test
  void create_tmpfsSizeGivenTwice_refused() {
    assertThat(refused("{\"Tmpfs\":{\"/t\":\"size=1m,size=100g\"}}")).contains("given twice");
  }

  @Test
  void create_tmpfsSizedInBlocks_refused() {
    assertThat(refused("{\"Tmpfs\":{\"/t\":\"nr_blocks=99999999\"}}")).contains("nr_blocks");
  }

  @Test
  void create_unsizedTmpfsMount_getsTheDefaultSize() {
    JsonNode hc =
        allowed(
            "{\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/t\"},"
                + "{\"Type\":\"tmpfs\",\"Target\":\"/u\",\"TmpfsOptions\":{\"Mode\":1023}}]}");
    assertThat(hc.at("/Mounts/0/TmpfsOptions/SizeBytes").asLong()).isEqualTo(64 * MIB);
    assertThat(hc.at("/Mounts/1/TmpfsOptions/SizeBytes").asLong()).isEqualTo(64 * MIB);
    assertThat(hc.at("/Mounts/1/TmpfsOptions/Mode").asInt()).isEqualTo(1023);
  }

  @Test
  void create_tmpfsMountAboveTheMaximum_refused() {
    assertThat(
            refused(
                "{\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"TmpfsOptions\":"
                    + "{\"SizeBytes\":"
                    + (2 * GIB)
                    + "}}]}"))
        .contains("type=tmpfs,target=/t")
        .contains("exceeds your role's maximum");
  }

  @Test
  void create_tmpfsMountSizedThroughOptions_refused() {
    assertThat(
            refused(
                "{\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"TmpfsOptions\":"
                    + "{\"Options\":[[\"size\",\"100g\"]]}}]}"))
        .contains("tmpfs-size");
  }

  @Test
  void create_ulimitWithinTheMaximum_forwardedInLowerCase() {
    JsonNode hc =
        allowed(
            "{\"Ulimits\":[{\"Name\":\"NOFILE\",\"Soft\":1024,\"Hard\":4096},"
                + "{\"Name\":\"core\",\"Soft\":0,\"Hard\":0}]}");
    assertThat(hc.path("Ulimits").toString())
        .isEqualTo(
            "[{\"Name\":\"nofile\",\"Soft\":1024,"
                + "\"Hard\":4096},{\"Name\":\"core\",\"Soft\":0,\"Hard\":0}]");
  }

  @Test
  void create_noUlimits_leavesTheDaemonsDefaults() {
    assertThat(allowed("{}").has("Ulimits")).isFalse();
  }

  @Test
  void create_ulimitNotListedForTheRole_refused() {
    assertThat(refused("{\"Ulimits\":[{\"Name\":\"rtprio\",\"Soft\":99,\"Hard\":99}]}"))
        .contains("--ulimit rtprio")
        .contains("not allowed")
        .contains("nofile");
  }

  @Test
  void create_ulimitHardAboveTheMaximum_refused() {
    assertThat(refused("{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":1024,\"Hard\":2000000}]}"))
        .contains("exceeds your role's maximum of 1048576");
  }

  @Test
  void create_ulimitSoftAboveTheMaximum_refused() {
    assertThat(refused("{\"Ulimits\":[{\"Name\":\"core\",\"Soft\":1,\"Hard\":0}]}"))
        .contains("exceeds your role's maximum of 0");
  }

  @Test
  void create_ulimitUnlimited_refusedUnderAMaximum() {
    assertThat(refused("{\"Ulimits\":[{\"Name\":\"nproc\",\"Soft\":-1,\"Hard\":-1}]}"))
        .contains("exceeds");
  }

  @Test
  void create_ulimitNameWithNonAsciiFoldingToAListedOne_refused() {
    // Go's strings.ToUpper turns "ſ" into "S": "ſtack" would become RLIMIT_STACK
    assertThat(refused("{\"Ulimits\":[{\"Name\":\"ſtack\",\"Soft\":1,\"Hard\":1}]}"))
        .contains("ASCII");
  }

  @Test
  void create_ulimitGivenTwice_refused() {
    assertThat(
            refused(
                "{\"Ulimits\":[{\"Name\":\"nofile\",\"Soft\":1,\"Hard\":1},"
                    + "{\"Name\":\"NOFILE\",\"Soft\":2,\"Hard\":2}]}"))
        .contains("given twice");
  }

  @Test
  void create_roleWithoutTmpfsOrUlimitLimits_noDefaultsAndNoUlimits() throws Exception {
    JsonNode hc =
        hostConfig(
            allowedWith(
                "{ulimits: {rtprio: unlimited}}",
                "{\"Tmpfs\":{\"/t\":\"\"},\"Ulimits\":[{\"Name\":\"rtprio\",\"Soft\":-1,"
                    + "\"Hard\":-1}]}"));
    assertThat(hc.path("Tmpfs").path("/t").asText()).isEmpty();
    assertThat(hc.has("ShmSize") && hc.path("ShmSize").asLong() != 0).isFalse();
    assertThat(hc.at("/Ulimits/0/Soft").asLong()).isEqualTo(-1);
  }

  @Test
  void create_roleWithoutSizeLimits_sizesPassAsSentAndNothingIsSized() throws Exception {
    Decision.Allow a =
        allowedWith(
            "{ulimits: {rtprio: unlimited}}",
            "{\"ShmSize\":"
                + (4 * GIB)
                + ",\"Tmpfs\":{\"/t\":\"size=8g\"},\"Mounts\":[{\"Type\":\"tmpfs\","
                + "\"Target\":\"/m\",\"TmpfsOptions\":{\"SizeBytes\":"
                + (8 * GIB)
                + "}},{\"Type\":\"tmpfs\",\"Target\":\"/n\"}]}");
    JsonNode hc = hostConfig(a);
    assertThat(hc.path("ShmSize").asLong()).isEqualTo(4 * GIB);
    assertThat(hc.at("/Tmpfs/~1t").asText()).isEqualTo("size=8g");
    assertThat(hc.at("/Mounts/0/TmpfsOptions/SizeBytes").asLong()).isEqualTo(8 * GIB);
    assertThat(hc.at("/Mounts/1").has("TmpfsOptions")).isFalse();
    Decision.Allow unsized = allowedWith("{ulimits: {rtprio: unlimited}}", "{}");
    assertThat(unsized.rewrites()).noneMatch(n -> n.contains("ShmSize"));
  }

  @Test
  void create_tmpfsSizeAtTheLargestExactValue_judgedAsThatManyBytes() {
    assertThat(refused("{\"Tmpfs\":{\"/t\":\"size=8589934591g\"}}"))
        .contains("a tmpfs of " + (8589934591L << 30) + " bytes");
  }

  @ParameterizedTest
  @ValueSource(strings = {"[\"nr_blocks\",\"5\"]", "[\"size=1g\"]", "[\"NR_BLOCKS=5\"]"})
  void create_tmpfsMountSizedThroughAnyOption_refused(String option) {
    assertThat(
            refused(
                "{\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/t\",\"TmpfsOptions\":"
                    + "{\"Options\":["
                    + option
                    + "]}}]}"))
        .contains("tmpfs-size");
  }

  @Test
  void create_ulimitNameWithTheFirstCharacterBeyondAscii_refused() {
    assertThat(refused("{\"Ulimits\":[{\"Name\":\"nofile\u0080\",\"Soft\":1,\"Hard\":1}]}"))
        .contains("ulimit names are ASCII");
  }

  private static Decision withLimits(String limits, String hostConfig) throws Exception {
    PolicyEngine engine =
        new PolicyEngine(
            PolicyLoader.load(
                "roles:\n  user:\n    actions: [container_create]\n    limits: "
                    + limits
                    + "\nbindings: [{role: user, users: [\"*\"]}]\n",
                "t.yaml",
                g -> Optional.empty()),
            Fixtures.HOST);
    return Fixtures.decide(
        engine,
        Fixtures.objects(),
        ALICE,
        "POST",
        "/containers/create",
        "{\"HostConfig\":" + hostConfig + "}");
  }

  private static Decision.Allow allowedWith(String limits, String hostConfig) throws Exception {
    Decision d = withLimits(limits, hostConfig);
    assertThat(d).isInstanceOf(Decision.Allow.class);
    return (Decision.Allow) d;
  }

  private static JsonNode hostConfig(Decision.Allow a) {
    return ((CanonicalRequest.Body.Json) a.forward().body()).value().path("HostConfig");
  }

  @Test
  void create_shmMaximumBelowTheDaemonDefault_unsizedShmGetsTheMaximumAndIsNoted()
      throws Exception {
    Decision.Allow a = allowedWith("{shm: {max: 1m}}", "{}");
    assertThat(hostConfig(a).path("ShmSize").asLong()).isEqualTo(MIB);
    assertThat(a.rewrites()).contains("HostConfig.ShmSize set to " + MIB);
  }

  @Test
  void create_shmMaximumAboveTheDaemonDefault_unsizedShmGetsTheDaemonDefault() throws Exception {
    Decision.Allow a = allowedWith("{shm: {max: 1g}}", "{}");
    assertThat(hostConfig(a).path("ShmSize").asLong()).isEqualTo(64 * MIB);
  }

  @Test
  void create_shmExactlyAtAMaximumWithoutDefault_keptAndNotNoted() throws Exception {
    Decision.Allow a = allowedWith("{shm: {max: 1m}}", "{\"ShmSize\":" + MIB + "}");
    assertThat(hostConfig(a).path("ShmSize").asLong()).isEqualTo(MIB);
    assertThat(a.rewrites()).noneMatch(r -> r.contains("ShmSize"));
    assertThat(withLimits("{shm: {max: 1m}}", "{\"ShmSize\":" + (MIB + 1) + "}"))
        .isInstanceOf(Decision.Deny.class);
  }

  @Test
  void create_tmpfsWithAMaximumOnly_unsizedGetsTheMaximumAndIsNoted() throws Exception {
    Decision.Allow a = allowedWith("{tmpfs: {max: 2m}}", "{\"Tmpfs\":{\"/t\":\"\"}}");
    assertThat(hostConfig(a).path("Tmpfs").path("/t").asText()).isEqualTo("size=" + 2 * MIB);
    assertThat(a.rewrites()).contains("tmpfs /t sized " + 2 * MIB);
  }

  @Test
  void create_tmpfsExactlyAtTheMaximum_allowedAndOneByteMoreRefused() throws Exception {
    allowedWith("{tmpfs: {max: 2m}}", "{\"Tmpfs\":{\"/t\":\"size=2m\"}}");
    assertThat(withLimits("{tmpfs: {max: 2m}}", "{\"Tmpfs\":{\"/t\":\"size=2097153\"}}"))
        .isInstanceOf(Decision.Deny.class);
  }

  @Test
  void create_mountTmpfs_unsizedGetsTheDefaultAndIsNoted_atTheMaximumKept_aboveRefused()
      throws Exception {
    String mount = "{\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/m\"%s}]}";
    Decision.Allow a = allowedWith("{tmpfs: {default: 1m, max: 2m}}", mount.formatted(""));
    assertThat(hostConfig(a).at("/Mounts/0/TmpfsOptions/SizeBytes").asLong()).isEqualTo(MIB);
    assertThat(a.rewrites()).contains("tmpfs /m sized " + MIB);
    String sized = ",\"TmpfsOptions\":{\"SizeBytes\":%d}";
    Decision.Allow max =
        allowedWith("{tmpfs: {default: 1m, max: 2m}}", mount.formatted(sized.formatted(2 * MIB)));
    assertThat(hostConfig(max).at("/Mounts/0/TmpfsOptions/SizeBytes").asLong()).isEqualTo(2 * MIB);
    assertThat(
            withLimits(
                "{tmpfs: {default: 1m, max: 2m}}", mount.formatted(sized.formatted(2 * MIB + 1))))
        .isInstanceOf(Decision.Deny.class);
  }
}
