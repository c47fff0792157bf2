package dev.berth.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
    return new HostJobs() {
      @Override
      public CallerProcess process(int pid) throws IOException {
        Path dir = Path.of("/proc", Integer.toString(pid));
        List<String> lines = Files.readAllLines(dir.resolve("cgroup"));
        int uid = -1;
        for (String line : Files.readAllLines(dir.resolve("status"))) {
          if (line.startsWith("Uid:")) {
            uid = Integer.parseInt(line.substring(4).strip().split("\\s+")[0]);
          }
        }
        if (uid < 0) {
          throw new IOException("no Uid in " + dir.resolve("status"));
        }
        return new CallerProcess(uid, lines);
      }

      @Override
      public List<Integer> gpus(String jobId) throws IOException {
        return SlurmJobs.gpus(SlurmJobs.showJob(jobId, Duration.ofSeconds(10)));
      }
    };
  }

  /** Slurm's answer about one job. */
  final class SlurmJobs {
    private SlurmJobs() {}

    static String showJob(String jobId, Duration timeout) throws IOException {
      Path out = Files.createTempFile("berth-scontrol-", ".txt");
      try {
        Process p = new ProcessBuilder("scontrol", "show", "job", "-d", jobId)
            .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        p.getOutputStream().close();
        try {
          if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException("scontrol did not answer within " + timeout.toSeconds()
                + " s");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          p.destroyForcibly();
          throw new IOException("interrupted while asking scontrol", e);
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
          throw new IOException("scontrol show job " + jobId + ": " + text.strip());
        }
        return text;
      } finally {
        Files.deleteIfExists(out);
      }
    }

    /**
     * The GPU indices in {@code scontrol show job -d} output: the {@code IDX} lists of every
     * {@code gpu} GRES on the job's node detail lines ({@code GRES=gpu:2(IDX:0-1)},
     * {@code GRES=gpu:a100:1(IDX:3),gpu:v100:1(IDX:5)}). berth serves one node, and a job
     * placed here runs on it; a job spanning nodes lists one line per node group, and only the
     * single-line case is accepted.
     */
    public static List<Integer> gpus(String showJob) throws IOException {
      List<String> detail = new ArrayList<>();
      for (String line : showJob.split("\n")) {
        String l = line.strip();
        if (l.startsWith("Nodes=") && l.contains(" GRES=")) {
          detail.add(l.substring(l.indexOf(" GRES=") + 6));
        } else if (l.startsWith("Nodes=")) {
          detail.add("");
        }
      }
      if (detail.size() > 1) {
        throw new IOException("the job spans several node groups; berth cannot tell which "
            + "GPUs are this node's");
      }
      List<Integer> out = new ArrayList<>();
      if (detail.isEmpty()) {
        return out;
      }
      for (String gres : detail.get(0).split(",(?=[a-zA-Z])")) {
        if (!gres.startsWith("gpu") || !gres.contains("(IDX:")) {
          continue;
        }
        String idx = gres.substring(gres.indexOf("(IDX:") + 5, gres.indexOf(')',
            gres.indexOf("(IDX:")));
        for (String part : idx.split(",")) {
          if (part.isBlank() || part.equals("N/A")) {
            continue;
          }
          String[] range = part.split("-");
          try {
            int from = Integer.parseInt(range[0]);
            int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
            for (int i = from; i <= to; i++) {
              out.add(i);
            }
          } catch (NumberFormatException e) {
            throw new IOException("unexpected GRES index \"" + part + "\"");
          }
        }
      }
      return out;
    }
  }
}
