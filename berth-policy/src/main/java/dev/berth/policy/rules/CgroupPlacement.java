package dev.berth.policy.rules;

import static dev.berth.policy.rules.BodyFields.object;
import static dev.berth.policy.rules.BodyFields.text;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.HostJobs;
import dev.berth.policy.Placement;
import dev.berth.policy.Principal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The role option {@code placement}: a new container's {@code HostConfig.CgroupParent} is forced to
 * the cgroup of the caller's batch job or user slice, read from the calling process (the pid
 * SO_PEERCRED gave), and a GPU request is mapped to the GPUs the job was given.
 *
 * <p>Design note. Which cgroup is the caller's: the pid's {@code /proc/PID/cgroup} lines, read
 * together with its real uid, which must be the caller's (a pid reused by another user's process is
 * refused). A process cannot enter a job's or a slice's cgroup by itself: moving a process needs
 * write access to {@code cgroup.procs} of a common ancestor, and Slurm's and systemd's directories
 * are root's; so a process of the caller's inside {@code job_N} was put there by the scheduler. On
 * cgroup v1 Slurm also names the uid in the path ({@code
 * /slurm[_NODE]/uid_UID/job_N/step_M/task_K}), which must be the caller's; on v2 the path is {@code
 * /system.slice/slurmstepd.scope/job_N/step_M/user/task_K}. The parent is the job's directory, so
 * the job's limits and accounting cover the container (cgroup v1: in every hierarchy, including the
 * devices one, whose rules a child cannot widen). Anything else (no pid, a process outside any job,
 * another uid) is refused with the reason: placement fails closed.
 *
 * <p>A job's end does not kill the container by itself: Slurm signals the processes of its step
 * cgroups only (observed with slurmd 22.05 on cgroup v1), and the container's cgroup is a sibling
 * of the steps. The container carries {@link #JOB_LABEL}, and berth's Slurm epilog removes the
 * job's containers through berth when the job ends (see docs/scheduler.md).
 */
final class CgroupPlacement {
  /** The label naming the job a container was placed in (berth's; set on every placed one). */
  static final String JOB_LABEL = "dev.berth.job";

  private static final Pattern SLURM_V1 =
      Pattern.compile("^(/slurm(?:_[^/]+)?/uid_([0-9]+)/job_([0-9]+))(?:/.*)?$");
  private static final Pattern SLURM_V2 =
      Pattern.compile("^(/(?:[^/]+/)*slurmstepd\\.scope/job_([0-9]+))(?:/.*)?$");
  private static final Pattern USER_SLICE =
      Pattern.compile("^/user\\.slice/user-([0-9]+)\\.slice(?:/.*)?$");
  private static final Set<String> GPU_DRIVERS = Set.of("", "nvidia");

  private final HostJobs jobs;

  CgroupPlacement(HostJobs jobs) {
    this.jobs = requireNonNull(jobs, "jobs");
  }

  /** Where a caller's containers go: the cgroup parent and, for a job, its id. */
  record Target(String cgroupParent, String jobId) {}

  /**
   * Forces {@code HostConfig.CgroupParent} (and maps {@code DeviceRequests}) for a role with a
   * placement; does nothing for {@link Placement.Mode#NONE}. The caller's own {@code CgroupParent}
   * has been refused already ({@link HostConfigRules}).
   *
   * @return the job's id, for {@link #stampJob} once the caller's labels are judged; "" when the
   *     container is not placed in a job
   */
  String apply(ObjectNode hc, Principal who, Placement placement, Rewrites rw) throws Refusal {
    if (placement.mode() == Placement.Mode.NONE) {
      return "";
    }
    Target target = target(who, placement);
    hc.put("CgroupParent", target.cgroupParent());
    rw.note(
        "HostConfig.CgroupParent set to "
            + target.cgroupParent()
            + " ("
            + (target.jobId().isEmpty() ? "your user slice" : "your job " + target.jobId())
            + ")");
    if (!target.jobId().isEmpty()) {
      mapGpus(hc, target.jobId(), rw);
    }
    return target.jobId();
  }

  /** Labels a container placed in job {@code jobId} with it (berth's epilog finds it so). */
  static void stampJob(ObjectNode body, String jobId, Rewrites rw) {
    if (!jobId.isEmpty()) {
      object(body, "Labels").put(JOB_LABEL, jobId);
      rw.note("label " + JOB_LABEL + "=" + jobId);
    }
  }

  /** The caller's job or slice, or a refusal that says why there is none. */
  Target target(Principal who, Placement placement) throws Refusal {
    String what =
        placement.mode() == Placement.Mode.JOB ? "your running batch job" : "your user slice";
    if (who.pid() <= 0) {
      throw new Refusal(
          "placement "
              + placement.mode().id()
              + ": your role places containers "
              + "under "
              + what
              + ", which berth finds from the calling process; connect through "
              + "berth's unix socket (not TLS or the plugin)");
    }
    HostJobs.CallerProcess process;
    try {
      process = jobs.process(who.pid());
    } catch (IOException | RuntimeException e) {
      throw new Refusal(
          "placement "
              + placement.mode().id()
              + ": cannot read the cgroup of your "
              + "process "
              + who.pid()
              + " ("
              + e.getMessage()
              + ")");
    }
    if (process.uid() != who.uid()) {
      throw new Refusal(
          "placement "
              + placement.mode().id()
              + ": process "
              + who.pid()
              + " is no longer yours; reconnect");
    }
    return placement.mode() == Placement.Mode.JOB
        ? job(who, placement, process.cgroups())
        : userSlice(who, placement, process.cgroups());
  }

  private static Target job(Principal who, Placement placement, List<String> lines) throws Refusal {
    if (placement.driver() != Placement.Driver.CGROUPFS) {
      throw new Refusal(
          "placement job: a job's cgroup is not a systemd slice; the daemon must "
              + "use the cgroupfs driver (ask an administrator)");
    }
    Set<String> v1 = new LinkedHashSet<>();
    String v1Job = "";
    String v2 = "";
    String v2Job = "";
    for (String line : lines) {
      String[] f = line.split(":", 3);
      if (f.length != 3) {
        continue;
      }
      if (!f[1].isEmpty()) {
        Matcher m = SLURM_V1.matcher(f[2]);
        if (m.matches()) {
          if (!m.group(2).equals(Integer.toString(who.uid()))) {
            throw new Refusal(
                "placement job: your process is in the job cgroup "
                    + m.group(1)
                    + " of another uid");
          }
          v1.add(m.group(1));
          v1Job = m.group(3);
        }
      } else if (f[0].equals("0")) {
        Matcher m = SLURM_V2.matcher(f[2]);
        if (m.matches()) {
          v2 = m.group(1);
          v2Job = m.group(2);
        }
      }
    }
    if (v1.size() > 1) {
      throw new Refusal(
          "placement job: your process is in several job cgroups "
              + v1
              + "; berth cannot tell which job is yours");
    }
    String parent = v1.isEmpty() ? v2 : v1.iterator().next();
    if (parent.isEmpty()) {
      throw new Refusal(
          "placement job: your role runs containers only inside your batch job, "
              + "and this docker command does not run in one (its process is in no Slurm job's "
              + "cgroup); run it inside the job (sbatch, srun)");
    }
    return new Target(parent, v1.isEmpty() ? v2Job : v1Job);
  }

  private static Target userSlice(Principal who, Placement placement, List<String> lines)
      throws Refusal {
    for (String line : lines) {
      String[] f = line.split(":", 3);
      // systemd's own hierarchy: name=systemd on v1, the unified one (0::) on v2
      if (f.length != 3 || !(f[1].equals("name=systemd") || (f[0].equals("0") && f[1].isEmpty()))) {
        continue;
      }
      Matcher m = USER_SLICE.matcher(f[2]);
      if (m.matches()) {
        if (!m.group(1).equals(Integer.toString(who.uid()))) {
          throw new Refusal(
              "placement user_slice: your process is in the user slice of uid " + m.group(1));
        }
        String slice = "user-" + who.uid() + ".slice";
        return new Target(
            placement.driver() == Placement.Driver.SYSTEMD ? slice : "/user.slice/" + slice, "");
      }
    }
    throw new Refusal(
        "placement user_slice: your process is not in your user slice "
            + "(user.slice/user-"
            + who.uid()
            + ".slice); log in through a systemd session");
  }

  /**
   * {@code --gpus}: each device request must ask for GPUs (driver nvidia or unnamed, capability
   * gpu); together they become one request for GPUs the job was given: all of them for {@code
   * --gpus all}, the first N for {@code --gpus N}, the named ones (each the job's) for {@code
   * --gpus device=…}. Indices are the scheduler's ({@code IDX}), which are the devices' indices
   * when gres.conf lists {@code /dev/nvidia0…} in order or detects them with NVML.
   */
  private void mapGpus(ObjectNode hc, String jobId, Rewrites rw) throws Refusal {
    JsonNode requests = hc.get("DeviceRequests");
    if (requests == null || requests.isNull() || requests.isEmpty()) {
      return;
    }
    List<Integer> given;
    try {
      given = jobs.gpus(jobId);
    } catch (IOException | RuntimeException e) {
      throw new Refusal(
          "--gpus: cannot ask the scheduler which GPUs job "
              + jobId
              + " was "
              + "given ("
              + e.getMessage()
              + ")");
    }
    if (given.isEmpty()) {
      throw new Refusal(
          "--gpus: your job "
              + jobId
              + " was given no GPUs; ask for them in "
              + "the job (--gres=gpu:N or --gpus=N)");
    }
    Set<Integer> chosen = new TreeSet<>();
    for (JsonNode r : requests) {
      if (!GPU_DRIVERS.contains(text(r, "Driver")) || !asksForGpus(r.path("Capabilities"))) {
        throw new Refusal(
            "--gpus/--device: only GPU requests are allowed (driver nvidia, " + "capability gpu)");
      }
      List<String> ids = new ArrayList<>();
      r.path("DeviceIDs").forEach(id -> ids.add(id.asText("")));
      long count = r.path("Count").asLong(0);
      if (!ids.isEmpty()) {
        for (String id : ids) {
          int index = id.matches("[0-9]{1,4}") ? Integer.parseInt(id) : -1;
          if (!given.contains(index)) {
            throw new Refusal(
                "--gpus device="
                    + id
                    + ": your job "
                    + jobId
                    + " was given "
                    + "GPUs "
                    + given
                    + " only");
          }
          chosen.add(index);
        }
      } else if (count < 0) {
        chosen.addAll(given);
      } else if (count > 0 && count <= given.size()) {
        chosen.addAll(given.subList(0, (int) count));
      } else {
        throw new Refusal(
            "--gpus "
                + count
                + ": your job "
                + jobId
                + " was given "
                + given.size()
                + " GPUs "
                + given);
      }
    }
    ArrayNode out = hc.putArray("DeviceRequests");
    ObjectNode req = out.addObject().put("Driver", "nvidia").put("Count", 0);
    ArrayNode ids = req.putArray("DeviceIDs");
    chosen.forEach(i -> ids.add(Integer.toString(i)));
    req.putArray("Capabilities").addArray().add("gpu");
    rw.note("HostConfig.DeviceRequests set to GPUs " + chosen + " of job " + jobId);
  }

  private static boolean asksForGpus(JsonNode capabilities) {
    for (JsonNode set : capabilities) {
      for (JsonNode c : set) {
        if (c.asText("").equals("gpu")) {
          return true;
        }
      }
    }
    return false;
  }
}
