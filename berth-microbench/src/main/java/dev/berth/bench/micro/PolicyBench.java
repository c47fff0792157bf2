package dev.berth.bench.micro;

import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.HostPaths;
import dev.berth.policy.Policy;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.RequestException;
import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.policy.yaml.PolicyException;
import dev.berth.policy.yaml.PolicyLoader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Decisions per second and per-decision latency of {@link PolicyEngine} on a realistic mix:
 * container create with a full body, exec create, list and inspect, as the last of 1000 users bound
 * one by one (the worst case for binding lookup), with the host file system replaced by a table so
 * that only the engine is measured. Each decision includes parsing the request line and the JSON
 * body, as the proxy does.
 *
 * <p>A benchmark, not a test: it prints figures and asserts nothing. Usage: {@code java -cp ...
 * dev.berth.bench.micro.PolicyBench [seconds]}.
 */
public final class PolicyBench {
  private static final String CREATE =
      """
      {"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,
       "AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,
       "Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","OMP_NUM_THREADS=4"],
       "Cmd":["python","train.py","--epochs","10"],"Image":"pytorch:latest","Volumes":{},
       "WorkingDir":"/home/user999/project","Entrypoint":null,"OnBuild":null,
       "Labels":{"project":"alpha"},
       "HostConfig":{"Binds":["/home/user999/project:/home/user999/project","data:/data:ro"],
         "ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"default",
         "PortBindings":{"8888/tcp":[{"HostIp":"","HostPort":"18888"}]},
         "RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":true,
         "VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[40,120],"CapAdd":null,
         "CapDrop":null,"CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],
         "ExtraHosts":null,"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,
         "OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,
         "ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,
         "Isolation":"","CpuShares":0,"Memory":8589934592,"NanoCpus":4000000000,
         "CgroupParent":"","BlkioWeight":0,"Devices":[],"DeviceCgroupRules":null,
         "DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":null,
         "OomKillDisable":null,"PidsLimit":null,"Ulimits":[],"Mounts":[
           {"Type":"tmpfs","Target":"/scratch","TmpfsOptions":{"SizeBytes":1073741824}}],
         "MaskedPaths":null,"ReadonlyPaths":null,"Init":true},
       "NetworkingConfig":{"EndpointsConfig":{"default":{}}}}
      """;
  private static final String EXEC =
      "{\"User\":\"\",\"Privileged\":false,\"Tty\":true,\"ConsoleSize\":[40,120],"
          + "\"AttachStdin\":true,\"AttachStderr\":true,\"AttachStdout\":true,"
          + "\"DetachKeys\":\"\",\"Env\":null,\"WorkingDir\":\"\",\"Cmd\":[\"bash\"]}";

  private record Sample(String method, String target, byte[] body) {}

  private PolicyBench() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    Policy policy = thousandUserPolicy();
    HostPaths host = path -> new HostPaths.Resolved(path.normalize(), HostPaths.Kind.DIRECTORY);
    PolicyEngine engine = new PolicyEngine(policy, host);
    Principal user =
        new Principal(10999, 10999, 1, "user999", "/home/user999", List.of(10999, 100), -1);
    List<Sample> mix =
        List.of(
            new Sample("POST", "/v1.51/containers/create?name=train-1", bytes(CREATE)),
            new Sample("POST", "/v1.51/containers/train-1/exec", bytes(EXEC)),
            new Sample(
                "GET",
                "/v1.51/containers/json?all=1&filters=%7B%22label%22%3A%5B%22a%22%5D%7D",
                new byte[0]),
            new Sample("GET", "/v1.51/containers/train-1/json", new byte[0]));
    for (Sample s : mix) {
      Decision d = decide(engine, user, s);
      if (!(d instanceof Decision.Allow)) {
        throw new IllegalStateException("the mix must be allowed, got " + d);
      }
    }
    run(engine, user, mix, 3); // warm-up
    long[] latencies = run(engine, user, mix, seconds);
    Arrays.sort(latencies);
    double rate = latencies.length / (double) seconds;
    System.out.printf(
        "policy engine, 1000-user policy, mix of %d request kinds, 1 thread%n", mix.size());
    System.out.printf(
        "decisions/s %.0f  p50 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us%n",
        rate,
        pct(latencies, 50),
        pct(latencies, 99),
        pct(latencies, 99.9),
        latencies[latencies.length - 1] / 1000.0);
  }

  private static long[] run(PolicyEngine engine, Principal user, List<Sample> mix, int seconds)
      throws RequestException {
    long[] out = new long[1 << 22];
    int n = 0;
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    int i = 0;
    while (n < out.length) {
      long t0 = System.nanoTime();
      if (t0 >= end) {
        break;
      }
      decide(engine, user, mix.get(i++ & 3));
      out[n++] = System.nanoTime() - t0;
    }
    return Arrays.copyOf(out, n);
  }

  private static Decision decide(PolicyEngine engine, Principal who, Sample s)
      throws RequestException {
    return engine.evaluate(who, CanonicalRequest.parse(s.method(), s.target()), s.body());
  }

  private static double pct(long[] sorted, double p) {
    int idx = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
    return sorted[Math.max(0, idx)] / 1000.0;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** The default user role, bound to 1000 users one binding each. */
  private static Policy thousandUserPolicy() throws PolicyException {
    String text = PolicyDefaults.text();
    String roles = text.substring(text.indexOf("roles:"), text.indexOf("bindings:"));
    StringBuilder yaml = new StringBuilder(roles).append("bindings:\n");
    yaml.append("  - {role: admin, users: [root]}\n");
    for (int u = 0; u < 1000; u++) {
      yaml.append("  - {role: user, users: [user").append(u).append("]}\n");
    }
    return PolicyLoader.load(yaml.toString(), "bench-1000-users.yaml", g -> Optional.empty());
  }
}
