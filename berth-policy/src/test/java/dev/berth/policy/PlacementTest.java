package dev.berth.policy;

import static dev.berth.policy.Fixtures.ALICE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.yaml.PolicyException;
import dev.berth.policy.yaml.PolicyLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 item 4: a role's {@code placement} puts the caller's containers under their batch job's
 * or user slice's cgroup, read from the calling process; GPU requests are mapped to the GPUs the
 * scheduler gave the job; anything undeterminable is refused.
 */
class PlacementTest {
  private static final String V1_JOB =
      """
      9:name=systemd:/
      6:freezer:/slurm_node1/uid_1001/job_42/step_0/task_0
      5:devices:/slurm_node1/uid_1001/job_42/step_0
      4:memory:/slurm_node1/uid_1001/job_42/step_0/task_0
      1:cpu:/
      0::/
      """;
  private static final String V2_JOB =
      "0::/system.slice/slurmstepd.scope/job_77/step_batch/user/task_0\n";
  private static final String V1_SLICE =
      """
      9:name=systemd:/user.slice/user-1001.slice/session-3.scope
      1:cpu:/user.slice
      0::/user.slice/user-1001.slice/session-3.scope
      """;
  private static final String NOWHERE = "9:name=systemd:/\n1:cpu:/\n0::/\n";

  /** A fake host: pid 4242 (alice's connect-time pid) with the given cgroups and uid. */
  private static final class FakeJobs implements HostJobs {
    final Map<Integer, CallerProcess> processes = new HashMap<>();
    final Map<String, List<Integer>> gpus = new HashMap<>();

    FakeJobs pid(int pid, int uid, String cgroups) {
      processes.put(pid, new CallerProcess(uid, cgroups.lines().toList()));
      return this;
    }

    @Override
    public CallerProcess process(int pid) throws IOException {
      CallerProcess p = processes.get(pid);
      if (p == null) {
        throw new IOException("no such process");
      }
      return p;
    }

    @Override
    public List<Integer> gpus(String jobId) {
      return gpus.getOrDefault(jobId, List.of());
    }
  }

  private static PolicyEngine engine(String placement, HostJobs jobs) throws Exception {
    return new PolicyEngine(
        PolicyLoader.load(
            """
        roles:
          user: {%s, actions: [container_create]}
        bindings: [{role: user, users: ["*"]}]
        """
                .formatted(placement),
            "t.yaml",
            g -> Optional.empty()),
        Fixtures.HOST,
        jobs);
  }

  private static Decision create(PolicyEngine e, Principal who, String hostConfig) {
    return Fixtures.decide(
        e,
        Fixtures.objects(),
        who,
        "POST",
        "/v1.51/containers/create",
        "{\"Image\":\"x\",\"HostConfig\":" + hostConfig + "}");
  }

  private static JsonNode forwarded(Decision d) {
    assertThat(d).as(d.toString()).isInstanceOf(Decision.Allow.class);
    return ((CanonicalRequest.Body.Json) ((Decision.Allow) d).forward().body()).value();
  }

  private static String reason(Decision d) {
    assertThat(d).as(d.toString()).isInstanceOf(Decision.Deny.class);
    return ((Decision.Deny) d).reason();
  }

  @Test
  void job_v1SlurmCaller_parentForcedToTheJobAndLabelled() throws Exception {
    PolicyEngine e = engine("placement: job", new FakeJobs().pid(4242, 1001, V1_JOB));
    JsonNode body = forwarded(create(e, ALICE, "{}"));
    assertThat(body.path("HostConfig").path("CgroupParent").asText())
        .isEqualTo("/slurm_node1/uid_1001/job_42");
    assertThat(body.path("Labels").path("dev.berth.job").asText()).isEqualTo("42");
  }

  @Test
  void job_v2SlurmCaller_parentIsTheJobUnderSlurmstepdScope() throws Exception {
    PolicyEngine e = engine("placement: job", new FakeJobs().pid(4242, 1001, V2_JOB));
    JsonNode body = forwarded(create(e, ALICE, "{}"));
    assertThat(body.path("HostConfig").path("CgroupParent").asText())
        .isEqualTo("/system.slice/slurmstepd.scope/job_77");
    assertThat(body.path("Labels").path("dev.berth.job").asText()).isEqualTo("77");
  }

  @Test
  void job_callerOutsideAnyJob_refusedWithReason() throws Exception {
    PolicyEngine e = engine("placement: job", new FakeJobs().pid(4242, 1001, NOWHERE));
    assertThat(reason(create(e, ALICE, "{}")))
        .contains("placement job")
        .contains("does not run in one");
  }

  @Test
  void job_anotherUidsJobCgroup_refused() throws Exception {
    PolicyEngine e =
        engine(
            "placement: job",
            new FakeJobs().pid(4242, 1001, V1_JOB.replace("uid_1001", "uid_1002")));
    assertThat(reason(create(e, ALICE, "{}"))).contains("of another uid");
  }

  @Test
  void job_pidReusedByAnotherUser_refused() throws Exception {
    PolicyEngine e = engine("placement: job", new FakeJobs().pid(4242, 1002, V1_JOB));
    assertThat(reason(create(e, ALICE, "{}"))).contains("no longer yours");
  }

  @Test
  void job_processGone_refused() throws Exception {
    PolicyEngine e = engine("placement: job", new FakeJobs());
    assertThat(reason(create(e, ALICE, "{}"))).contains("cannot read the cgroup");
  }

  @Test
  void job_noPid_tlsOrPluginCaller_refused() throws Exception {
    PolicyEngine e = engine("placement: job", new FakeJobs().pid(4242, 1001, V1_JOB));
    Principal tls =
        new Principal(1001, 1001, -1, "alice", "/home/alice", List.of(1001), -1, "CN=alice");
    assertThat(reason(create(e, tls, "{}"))).contains("berth's unix socket");
  }

  @Test
  void job_twoDifferentJobCgroups_refused() throws Exception {
    PolicyEngine e =
        engine(
            "placement: job",
            new FakeJobs()
                .pid(
                    4242,
                    1001,
                    V1_JOB.replace(
                        "4:memory:/slurm_node1/uid_1001/job_42",
                        "4:memory:/slurm_node1/uid_1001/job_43")));
    assertThat(reason(create(e, ALICE, "{}"))).contains("several job cgroups");
  }

  @Test
  void job_callerChosenCgroupParent_stillRefused() throws Exception {
    PolicyEngine e = engine("placement: job", new FakeJobs().pid(4242, 1001, V1_JOB));
    assertThat(reason(create(e, ALICE, "{\"CgroupParent\":\"/slurm_node1/uid_1001/job_42\"}")))
        .contains("--cgroup-parent is not allowed");
  }

  @Test
  void job_callerSetsJobLabel_refused() throws Exception {
    PolicyEngine e = engine("placement: job", new FakeJobs().pid(4242, 1001, V1_JOB));
    Decision d =
        Fixtures.decide(
            e,
            Fixtures.objects(),
            ALICE,
            "POST",
            "/v1.51/containers/create",
            "{\"Image\":\"x\",\"Labels\":{\"dev.berth.job\":\"9\"},\"HostConfig\":{}}");
    assertThat(reason(d)).contains("labels dev.berth.* are set by berth");
  }

  @Test
  void userSlice_callerInOwnSlice_cgroupfsPathOrSystemdSliceName() throws Exception {
    FakeJobs jobs = new FakeJobs().pid(4242, 1001, V1_SLICE);
    assertThat(
            forwarded(create(engine("placement: user_slice", jobs), ALICE, "{}"))
                .path("HostConfig")
                .path("CgroupParent")
                .asText())
        .isEqualTo("/user.slice/user-1001.slice");
    assertThat(
            forwarded(
                    create(
                        engine("placement: user_slice, cgroup_driver: systemd", jobs), ALICE, "{}"))
                .path("HostConfig")
                .path("CgroupParent")
                .asText())
        .isEqualTo("user-1001.slice");
  }

  @Test
  void userSlice_anotherUsersSlice_refused() throws Exception {
    PolicyEngine e =
        engine(
            "placement: user_slice",
            new FakeJobs().pid(4242, 1001, V1_SLICE.replace("user-1001", "user-1002")));
    assertThat(reason(create(e, ALICE, "{}"))).contains("user slice of uid 1002");
  }

  @Test
  void userSlice_noSlice_refused() throws Exception {
    PolicyEngine e = engine("placement: user_slice", new FakeJobs().pid(4242, 1001, NOWHERE));
    assertThat(reason(create(e, ALICE, "{}"))).contains("not in your user slice");
  }

  @Test
  void userSlice_gpuRequest_refusedOutsideAJob() throws Exception {
    PolicyEngine e = engine("placement: user_slice", new FakeJobs().pid(4242, 1001, V1_SLICE));
    assertThat(reason(create(e, ALICE, GPUS_ALL))).contains("inside a batch job only");
  }

  private static final String GPUS_ALL =
      "{\"DeviceRequests\":[{\"Driver\":\"\",\"Count\":-1," + "\"Capabilities\":[[\"gpu\"]]}]}";

  @Test
  void gpus_all_mappedToTheJobsGpus() throws Exception {
    FakeJobs jobs = new FakeJobs().pid(4242, 1001, V1_JOB);
    jobs.gpus.put("42", List.of(1, 3));
    JsonNode req =
        forwarded(create(engine("placement: job", jobs), ALICE, GPUS_ALL))
            .path("HostConfig")
            .path("DeviceRequests");
    assertThat(req).hasSize(1);
    assertThat(req.get(0).path("Driver").asText()).isEqualTo("nvidia");
    assertThat(req.get(0).path("DeviceIDs").toString()).isEqualTo("[\"1\",\"3\"]");
    assertThat(req.get(0).path("Count").asInt()).isZero();
  }

  @Test
  void gpus_countWithinAllocation_firstN_beyond_refused() throws Exception {
    FakeJobs jobs = new FakeJobs().pid(4242, 1001, V1_JOB);
    jobs.gpus.put("42", List.of(1, 3));
    PolicyEngine e = engine("placement: job", jobs);
    String one = GPUS_ALL.replace("-1", "1");
    assertThat(
            forwarded(create(e, ALICE, one))
                .path("HostConfig")
                .path("DeviceRequests")
                .get(0)
                .path("DeviceIDs")
                .toString())
        .isEqualTo("[\"1\"]");
    assertThat(reason(create(e, ALICE, GPUS_ALL.replace("-1", "3")))).contains("was given 2 GPUs");
  }

  @Test
  void gpus_deviceNotGivenToTheJob_refused() throws Exception {
    FakeJobs jobs = new FakeJobs().pid(4242, 1001, V1_JOB);
    jobs.gpus.put("42", List.of(1, 3));
    String dev =
        "{\"DeviceRequests\":[{\"Driver\":\"nvidia\",\"DeviceIDs\":[\"0\"],"
            + "\"Capabilities\":[[\"gpu\"]]}]}";
    assertThat(reason(create(engine("placement: job", jobs), ALICE, dev)))
        .contains("device=0")
        .contains("[1, 3] only");
  }

  @Test
  void gpus_jobWithoutGpus_refused() throws Exception {
    PolicyEngine e = engine("placement: job", new FakeJobs().pid(4242, 1001, V1_JOB));
    assertThat(reason(create(e, ALICE, GPUS_ALL))).contains("was given no GPUs");
  }

  @Test
  void gpus_nonGpuDriver_refused() throws Exception {
    FakeJobs jobs = new FakeJobs().pid(4242, 1001, V1_JOB);
    jobs.gpus.put("42", List.of(0));
    String other = "{\"DeviceRequests\":[{\"Driver\":\"cdi\",\"DeviceIDs\":[\"vendor.com/x=0\"]}]}";
    assertThat(reason(create(engine("placement: job", jobs), ALICE, other)))
        .contains("only GPU requests");
  }

  @Test
  void gpus_roleWithoutPlacement_stillRefused() throws Exception {
    PolicyEngine e = engine("placement: none", new FakeJobs().pid(4242, 1001, V1_JOB));
    assertThat(reason(create(e, ALICE, GPUS_ALL))).contains("device requests are not allowed");
    assertThat(forwarded(create(e, ALICE, "{}")).path("HostConfig").has("CgroupParent")).isFalse();
  }

  @Test
  void policy_jobWithSystemdDriver_rejectedAtLoad() {
    assertThatThrownBy(() -> engine("placement: job, cgroup_driver: systemd", new FakeJobs()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("cgroupfs");
    assertThatThrownBy(() -> engine("placement: jobs", new FakeJobs()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("did you mean \"job\"");
  }

  @Test
  void scontrol_gresIndices_parsed() throws Exception {
    assertThat(
            LocalJobs.gpusOf(
                """
        JobId=5 JobName=wrap
           JOB_GRES=gpu:2
             Nodes=n1 CPU_IDs=0-1 Mem=0 GRES=gpu:a100:1(IDX:0),gpu:v100:2(IDX:2-3)
        """))
        .containsExactly(0, 2, 3);
    assertThat(
            LocalJobs.gpusOf(
                """
           JOB_GRES=(null)
             Nodes=berthnode CPU_IDs=0 Mem=0 GRES=
        """))
        .isEmpty();
    assertThatThrownBy(
            () ->
                LocalJobs.gpusOf(
                    """
             Nodes=n1 CPU_IDs=0 Mem=0 GRES=gpu:1(IDX:0)
             Nodes=n2 CPU_IDs=0 Mem=0 GRES=gpu:1(IDX:1)
        """))
        .isInstanceOf(IOException.class);
  }

  @Test
  void local_ownProcess_cgroupLinesAndRealUid() throws Exception {
    long pid = ProcessHandle.current().pid();
    HostJobs.CallerProcess me = HostJobs.local().process((int) pid);
    assertThat(me.cgroups()).isNotEmpty().allMatch(l -> l.split(":", 3).length == 3);
    assertThat(me.uid())
        .isEqualTo(Files.getAttribute(Path.of("/proc", Long.toString(pid)), "unix:uid"));
    assertThatThrownBy(() -> HostJobs.local().process(Integer.MAX_VALUE))
        .isInstanceOf(IOException.class);
  }

  @Test
  void local_scontrol_answerParsed_failureAndSilenceAreErrors() throws Exception {
    LocalJobs answering =
        new LocalJobs(
            List.of(
                "sh",
                "-c",
                "echo \"   Nodes=n1 CPU_IDs=0 Mem=0 GRES=gpu:2(IDX:4-5) for $3 $4\"",
                "sh"),
            Duration.ofSeconds(20));
    assertThat(answering.gpus("42")).containsExactly(4, 5);
    LocalJobs failing =
        new LocalJobs(
            List.of(
                "sh", "-c", "echo slurm_load_jobs error: Invalid job id specified; exit 1", "sh"),
            Duration.ofSeconds(20));
    assertThatThrownBy(() -> failing.gpus("42"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("Invalid job id");
    LocalJobs silent =
        new LocalJobs(List.of("sh", "-c", "exec sleep 30", "sh"), Duration.ofMillis(200));
    assertThatThrownBy(() -> silent.gpus("42"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("did not answer");
  }

  private static List<String> rewrites(Decision d) {
    assertThat(d).as(d.toString()).isInstanceOf(Decision.Allow.class);
    return ((Decision.Allow) d).rewrites();
  }

  private static FakeJobs jobWithGpus(Integer... gpus) {
    FakeJobs jobs = new FakeJobs().pid(4242, 1001, V1_JOB);
    jobs.gpus.put("42", List.of(gpus));
    return jobs;
  }

  private static JsonNode forwardedDeviceIds(Decision d) {
    return forwarded(d).path("HostConfig").path("DeviceRequests").get(0).path("DeviceIDs");
  }

  @Test
  void placement_jobOrSlice_rewritesNoted() throws Exception {
    PolicyEngine job = engine("placement: job", jobWithGpus(1, 3));
    assertThat(rewrites(create(job, ALICE, GPUS_ALL)))
        .contains(
            "HostConfig.CgroupParent set to /slurm_node1/uid_1001/job_42 (your job 42)",
            "label dev.berth.job=42",
            "HostConfig.DeviceRequests set to GPUs [1, 3] of job 42");
    PolicyEngine slice = engine("placement: user_slice", new FakeJobs().pid(4242, 1001, V1_SLICE));
    assertThat(rewrites(create(slice, ALICE, "{}")))
        .contains("HostConfig.CgroupParent set to /user.slice/user-1001.slice (your user slice)")
        .noneMatch(n -> n.startsWith("label dev.berth.job"));
  }

  @Test
  void placement_callerWithoutPidOrPidZero_refusedNamingWhatIsLooked() throws Exception {
    Principal tls =
        new Principal(1001, 1001, -1, "alice", "/home/alice", List.of(1001), -1, "CN=alice");
    Principal pidZero =
        new Principal(1001, 1001, 0, "alice", "/home/alice", List.of(1001), -1, "CN=alice");
    FakeJobs jobs = new FakeJobs().pid(0, 1001, V1_JOB).pid(4242, 1001, V1_SLICE);
    assertThat(reason(create(engine("placement: job", jobs), pidZero, "{}")))
        .contains("under your running batch job")
        .contains("berth's unix socket");
    assertThat(reason(create(engine("placement: user_slice", jobs), tls, "{}")))
        .contains("under your user slice")
        .contains("berth's unix socket");
  }

  @Test
  void userSlice_cgroupV2Only_placedInOwnSlice() throws Exception {
    PolicyEngine e =
        engine(
            "placement: user_slice",
            new FakeJobs().pid(4242, 1001, "0::/user.slice/user-1001.slice/session-3.scope\n"));
    assertThat(forwarded(create(e, ALICE, "{}")).path("HostConfig").path("CgroupParent").asText())
        .isEqualTo("/user.slice/user-1001.slice");
  }

  @Test
  void userSlice_sliceSeenOnlyInAControllerHierarchy_refused() throws Exception {
    String cgroups =
        "9:name=systemd:/\n4:memory:/user.slice/user-1001.slice/session-3.scope\n"
            + "3::/user.slice/user-1001.slice/session-3.scope\n0::/\n";
    PolicyEngine e = engine("placement: user_slice", new FakeJobs().pid(4242, 1001, cgroups));
    assertThat(reason(create(e, ALICE, "{}"))).contains("not in your user slice");
  }

  @Test
  void gpus_deviceGivenToTheJob_mapped() throws Exception {
    String dev =
        "{\"DeviceRequests\":[{\"Driver\":\"nvidia\",\"DeviceIDs\":[\"3\"],"
            + "\"Capabilities\":[[\"gpu\"]]}]}";
    assertThat(forwardedDeviceIds(create(engine("placement: job", jobWithGpus(1, 3)), ALICE, dev)))
        .hasToString("[\"3\"]");
  }

  @Test
  void gpus_countOfAllTheJobsGpus_allMapped_zeroRefused() throws Exception {
    PolicyEngine e = engine("placement: job", jobWithGpus(1, 3));
    assertThat(forwardedDeviceIds(create(e, ALICE, GPUS_ALL.replace("-1", "2"))))
        .hasToString("[\"1\",\"3\"]");
    assertThat(reason(create(e, ALICE, GPUS_ALL.replace("-1", "0")))).contains("--gpus 0");
  }

  @Test
  void gpus_nvidiaRequestWithoutGpuCapability_refused() throws Exception {
    String compute =
        "{\"DeviceRequests\":[{\"Driver\":\"nvidia\",\"Count\":-1,"
            + "\"Capabilities\":[[\"compute\",\"utility\"]]}]}";
    assertThat(reason(create(engine("placement: job", jobWithGpus(1, 3)), ALICE, compute)))
        .contains("only GPU requests");
  }
}
