package dev.berth.bench.micro;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.HostPaths;
import dev.berth.policy.ListElements;
import dev.berth.policy.Policy;
import dev.berth.policy.PolicyEngine;
import dev.berth.policy.Principal;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.policy.yaml.PolicyLoader;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What re-serialising a container list answer costs: a {@code GET /containers/json?all=1} answer of
 * N containers shaped like dockerd's, through (a) a strict tree and back ({@link DockerJson#parse}:
 * strict UTF-8 check, a tree with big-number nodes and duplicate detection, then {@link
 * DockerJson#write}), (b) a streaming copy, parser to generator, without a tree (the lower bound of
 * any rewrite), and the real mapping of the answer for a user with private names (the default
 * policy's decision for {@code GET /containers/json?all=1} by alice, {@link
 * Decision.FollowUp.MapNames}): (c) as a tree ({@code write(mapping(parse(answer)))}, berth before
 * session 6), (d) as a stream of element trees (session 6: {@link DockerJson#mapList} with a rule
 * that reads whole elements) and (e) as a stream of sparse elements (session 8: the rule's {@link
 * ListElements.Reads}, the rest copied token by token). Variants rotate per round; it reports the
 * median per-round time per answer, the ratio to (a), the ratios of (e) to (d) and to (c), and
 * whether the outputs are byte for byte the same. A benchmark, not a test. Usage: {@code java -cp
 * ... dev.berth.bench.micro.ListAnswerBench [containers] [answers-per-round] [rounds]}.
 */
public final class ListAnswerBench {
  private ListAnswerBench() {}

  public static void main(String[] args) throws Exception {
    int containers = args.length > 0 ? Integer.parseInt(args[0]) : 26;
    int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 7;
    byte[] answer = answer(containers);
    JsonFactory factory = DockerJson.mapper().getFactory();
    byte[] a = DockerJson.write(DockerJson.parse(answer));
    byte[] b = stream(factory, answer);
    Decision.FollowUp.MapNames m = aliceListMapping();
    ListElements elements = Objects.requireNonNull(m.elements());
    ListElements wholeElements = new ListElements(elements.element(), elements.limit());
    byte[] c = DockerJson.write(m.mapping().apply(DockerJson.parse(answer)));
    byte[] d = DockerJson.mapList(answer, wholeElements, m.mapping());
    byte[] e = DockerJson.mapList(answer, elements, m.mapping());
    String[] names = {
      "tree, strict (copy)",
      "streaming copy",
      "mapping as a tree",
      "mapping, element trees (s6)",
      "mapping, sparse (s8)"
    };
    int variants = names.length;
    double[][] micros = new double[variants][rounds];
    long sink = 0;
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < variants; k++) {
        int v = (r + k) % variants;
        long t0 = System.nanoTime();
        for (int i = 0; i < perRound; i++) {
          byte[] out =
              switch (v) {
                case 0 -> DockerJson.write(DockerJson.parse(answer));
                case 1 -> stream(factory, answer);
                case 2 -> DockerJson.write(m.mapping().apply(DockerJson.parse(answer)));
                case 3 -> DockerJson.mapList(answer, wholeElements, m.mapping());
                default -> DockerJson.mapList(answer, elements, m.mapping());
              };
          sink += out.length;
        }
        micros[v][r] = (System.nanoTime() - t0) / 1e3 / perRound;
      }
    }
    System.out.printf(
        "container list answer, %d containers, %d bytes: %d answers x %d rounds (sink %d)%n",
        containers, answer.length, perRound, rounds, sink);
    for (int v = 0; v < variants; v++) {
      System.out.printf(
          "%-30s %8.1f us/answer  %5.2f x strict copy%n",
          names[v], median(micros[v]), ratio(micros, v, 0));
    }
    System.out.printf(
        "sparse / element trees, median of per-round ratios: %.2f x; sparse / tree: %.2f x;"
            + " element trees / tree: %.2f x%n",
        ratio(micros, 4, 3), ratio(micros, 4, 2), ratio(micros, 3, 2));
    System.out.printf(
        "same bytes: streaming copy as strict copy %s; mapping: element trees as tree %s,"
            + " sparse as tree %s, renamed %s%n",
        Arrays.equals(a, b),
        Arrays.equals(c, d),
        Arrays.equals(c, e),
        !new String(e, StandardCharsets.UTF_8).contains("u1001_"));
  }

  /** The median over rounds of variant {@code v}'s time per answer over variant {@code base}'s. */
  private static double ratio(double[][] micros, int v, int base) {
    double[] r = new double[micros[v].length];
    for (int i = 0; i < r.length; i++) {
      r[i] = micros[v][i] / micros[base][i];
    }
    return median(r);
  }

  /** The answer mapping of the default policy for alice's {@code docker ps -a}. */
  private static Decision.FollowUp.MapNames aliceListMapping() throws Exception {
    String text = PolicyDefaults.text();
    String roles = text.substring(text.indexOf("roles:"), text.indexOf("bindings:"));
    Policy policy =
        PolicyLoader.load(
            roles + "bindings:\n  - {role: user, users: [alice]}\n",
            "bench-alice.yaml",
            g -> Optional.empty());
    HostPaths host = path -> new HostPaths.Resolved(path.normalize(), HostPaths.Kind.DIRECTORY);
    Principal alice = new Principal(1001, 1001, 1, "alice", "/home/alice", List.of(1001), -1);
    Decision d =
        new PolicyEngine(policy, host)
            .evaluate(alice, CanonicalRequest.parse("GET", "/v1.51/containers/json?all=1"), null);
    if (d instanceof Decision.Allow allow
        && allow.followUp() instanceof Decision.FollowUp.MapNames m) {
      return m;
    }
    throw new IllegalStateException("alice's list must be allowed and mapped, got " + d);
  }

  private static byte[] stream(JsonFactory factory, byte[] answer) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream(answer.length);
    try (JsonParser p = factory.createParser(answer);
        JsonGenerator g = factory.createGenerator(out)) {
      p.nextToken();
      g.copyCurrentStructure(p);
    }
    return out.toByteArray();
  }

  /** A list answer shaped like dockerd 28's for {@code n} running containers. */
  static byte[] answer(int n) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      String id = String.format("%064x", 0xc0ffee00L + i);
      s.append(i == 0 ? "" : ",")
          .append("{\"Id\":\"")
          .append(id)
          .append("\",\"Names\":[\"/u1001_web-")
          .append(i)
          .append("\"],\"Image\":\"busybox\",\"ImageID\":\"sha256:")
          .append(id)
          .append("\",\"Command\":\"sh -c 'sleep 3600'\",\"Created\":")
          .append(1765065600L + i)
          .append(",\"Ports\":[{\"PrivatePort\":80,\"Type\":\"tcp\"}],")
          .append("\"Labels\":{\"dev.berth.owner.uid\":\"1001\",\"dev.berth.owner.gid\":\"1001\",")
          .append("\"dev.berth.name\":\"web-")
          .append(i)
          .append("\"},\"State\":\"running\",\"Status\":\"Up 2 hours\",")
          .append("\"HostConfig\":{\"NetworkMode\":\"bridge\"},")
          .append("\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"IPAMConfig\":null,")
          .append("\"Links\":null,\"Aliases\":null,\"MacAddress\":\"02:42:ac:11:00:02\",")
          .append("\"DriverOpts\":null,\"GwPriority\":0,\"NetworkID\":\"")
          .append(id)
          .append("\",\"EndpointID\":\"")
          .append(id)
          .append("\",\"Gateway\":\"172.17.0.1\",\"IPAddress\":\"172.17.0.2\",")
          .append("\"IPPrefixLen\":16,\"IPv6Gateway\":\"\",\"GlobalIPv6Address\":\"\",")
          .append("\"GlobalIPv6PrefixLen\":0,\"DNSNames\":null}}},")
          .append("\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"")
          .append(id)
          .append("\",\"Source\":\"\",\"Destination\":\"/data\",\"Driver\":\"local\",")
          .append("\"Mode\":\"\",\"RW\":true,\"Propagation\":\"\"}]}");
    }
    return s.append("]").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
