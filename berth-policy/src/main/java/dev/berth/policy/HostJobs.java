package dev.berth.policy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * The calling process and its batch job, as the placement rules see them: the only other I/O the
 * policy module does besides {@link HostPaths}.
 *
 * <p>The pid comes from SO_PEERCRED at connect time. {@link #process} reads the process's cgroup
 * lines and its real uid together, so that a pid reused by another user's process is noticed (the
 * rule compares the uid with the caller's). The job's GPUs come from the scheduler's controller
 * ({@code scontrol show job -d}), never from the job's environment, which the user sets.
 */
public interface HostJobs {

  /**
   * A process as {@code /proc/PID} shows it.
   *
   * @param uid the real uid ({@code Uid:} of {@code /proc/PID/status})
   * @param cgroups the lines of {@code /proc/PID/cgroup}
   */
  record CallerProcess(int uid, List<String> cgroups) {
    public CallerProcess {
      cgroups = List.copyOf(cgroups);
    }
  }

  /**
   * Reads process {@code pid}.
   *
   * @throws IOException when it no longer exists or cannot be read
   */
  CallerProcess process(int pid) throws IOException;

  /**
   * The GPU indices the scheduler gave job {@code jobId} on this node ({@code IDX} of the job's
   * {@code GRES}), empty when none.
   *
   * @throws IOException when the scheduler cannot be asked
   */
  List<Integer> gpus(String jobId) throws IOException;

  /** This host: {@code /proc} and Slurm's {@code scontrol} (found on {@code PATH}). */
  static HostJobs local() {
    return new LocalJobs(List.of("scontrol"), Duration.ofSeconds(10));
  }
}
