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
 * {@link HostJobs} of this host: {@code /proc/PID/cgroup} and {@code /proc/PID/status}, and Slurm's
 * controller through {@code scontrol show job -d} (a child process with a time limit; asked only
 * for a create that requests GPUs).
 */
final class LocalJobs implements HostJobs {
  private final List<String> scontrol;
  private final Duration timeout;

  /**
   * @param scontrol the command that runs {@code scontrol}; {@code show job -d ID} is appended
   * @param timeout how long scontrol may take
   */
  LocalJobs(List<String> scontrol, Duration timeout) {
    this.scontrol = List.copyOf(scontrol);
    this.timeout = timeout;
  }

  @Override
  public CallerProcess process(int pid) throws IOException {
    Path dir = Path.of("/proc", Integer.toString(pid));
    List<String> lines = Files.readAllLines(dir.resolve("cgroup"));
    for (String line : Files.readAllLines(dir.resolve("status"))) {
      if (line.startsWith("Uid:")) {
        return new CallerProcess(
            Integer.parseInt(line.substring(4).strip().split("\\s+", -1)[0]), lines);
      }
    }
    throw new IOException("no Uid in " + dir.resolve("status"));
  }

  @Override
  public List<Integer> gpus(String jobId) throws IOException {
    return gpusOf(showJob(jobId));
  }

  private String showJob(String jobId) throws IOException {
    Path out = Files.createTempFile("berth-scontrol-", ".txt");
    try {
      List<String> command = new ArrayList<>(scontrol);
      command.addAll(List.of("show", "job", "-d", jobId));
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      p.getOutputStream().close();
      try {
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.destroyForcibly();
          throw new IOException("scontrol did not answer within " + timeout.toMillis() + " ms");
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
   * The GPU indices in {@code scontrol show job -d} output: the {@code IDX} lists of every {@code
   * gpu} GRES on the job's node detail line ({@code GRES=gpu:2(IDX:0-1)}, {@code
   * GRES=gpu:a100:1(IDX:0),gpu:v100:2(IDX:2-3)}). berth serves one node, and a job placed here runs
   * on it; a job whose detail lines name several node groups is refused, since berth cannot tell
   * which line is this node's.
   */
  static List<Integer> gpusOf(String showJob) throws IOException {
    List<String> detail = new ArrayList<>();
    for (String line : showJob.split("\n", -1)) {
      String l = line.strip();
      if (l.startsWith("Nodes=")) {
        int at = l.indexOf(" GRES=");
        detail.add(at < 0 ? "" : l.substring(at + 6));
      }
    }
    if (detail.size() > 1) {
      throw new IOException(
          "the job spans several node groups; berth cannot tell which GPUs " + "are this node's");
    }
    List<Integer> out = new ArrayList<>();
    if (detail.isEmpty()) {
      return out;
    }
    for (String gres : detail.get(0).split(",(?=[a-zA-Z])", -1)) {
      int idx = gres.indexOf("(IDX:");
      if (!gres.startsWith("gpu") || idx < 0) {
        continue;
      }
      int end = gres.indexOf(')', idx);
      for (String part : gres.substring(idx + 5, end < 0 ? gres.length() : end).split(",", -1)) {
        if (part.isBlank() || part.equals("N/A")) {
          continue;
        }
        String[] range = part.split("-", 2);
        try {
          int from = Integer.parseInt(range[0]);
          int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
          for (int i = from; i <= to; i++) {
            out.add(i);
          }
        } catch (NumberFormatException e) {
          throw new IOException("unexpected GRES index \"" + part + "\"", e);
        }
      }
    }
    return out;
  }
}
