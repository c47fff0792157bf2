package dev.berth.compat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerResponse;
import com.github.dockerjava.api.command.ExecCreateCmdResponse;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Image;
import com.github.dockerjava.api.model.Network;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What an application does with docker-java, one scenario at a time, run in a JVM of its own as the
 * test user (so the socket sees that user): {@code java ... DockerJavaScenarios DOCKER_HOST IMAGE
 * PREFIX}. Prints {@code PASS name} or {@code FAIL name: reason} per scenario, for {@link
 * DockerJavaIT} to judge; cleans up what it made.
 */
public final class DockerJavaScenarios {
  private final DockerClient docker;
  private final String image;
  private final String prefix;
  private final List<Runnable> cleanup = new ArrayList<>();

  private DockerJavaScenarios(DockerClient docker, String image, String prefix) {
    this.docker = docker;
    this.image = image;
    this.prefix = prefix;
  }

  /** The scenarios by name, in order. */
  static final List<String> NAMES =
      List.of(
          "ping_version",
          "containers_createStartLogsWait",
          "exec_output",
          "copy_toAndFromContainer",
          "containers_list",
          "containers_remove",
          "volume_writableByTheContainer",
          "volumes_createListRemove",
          "networks_createListRemove",
          "images_listInspectTag",
          "build_fromDockerfile");

  public static void main(String[] args) throws Exception {
    DockerClientConfig config =
        DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(args[0]).build();
    ZerodepDockerHttpClient http =
        new ZerodepDockerHttpClient.Builder()
            .dockerHost(URI.create(args[0]))
            .connectionTimeout(Duration.ofSeconds(10))
            .responseTimeout(Duration.ofSeconds(60))
            .build();
    try (DockerClient docker = DockerClientImpl.getInstance(config, http)) {
      DockerJavaScenarios s = new DockerJavaScenarios(docker, args[1], args[2]);
      Map<String, Scenario> all = s.scenarios();
      for (String name : NAMES) {
        try {
          all.get(name).run();
          System.out.println("PASS " + name);
        } catch (Exception | AssertionError e) {
          System.out.println(
              "FAIL " + name + ": " + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
      }
      s.cleanUp();
    }
    System.out.flush();
  }

  interface Scenario {
    void run() throws Exception;
  }

  private Map<String, Scenario> scenarios() {
    Map<String, Scenario> m = new LinkedHashMap<>();
    m.put(
        "ping_version",
        () -> {
          docker.pingCmd().exec();
          check(docker.versionCmd().exec().getApiVersion().startsWith("1."), "an API version");
        });
    m.put(
        "containers_createStartLogsWait",
        () -> {
          String id = container("logs", "sh", "-c", "echo hello; echo world >&2");
          docker.startContainerCmd(id).exec();
          int status = docker.waitContainerCmd(id).start().awaitStatusCode(30, TimeUnit.SECONDS);
          check(status == 0, "exit status 0, got " + status);
          String logs = logs(id);
          check(logs.contains("hello") && logs.contains("world"), "logs: " + logs);
        });
    m.put(
        "exec_output",
        () -> {
          String id = container("exec", "sleep", "60");
          docker.startContainerCmd(id).exec();
          ExecCreateCmdResponse e =
              docker
                  .execCreateCmd(id)
                  .withAttachStdout(true)
                  .withAttachStderr(true)
                  .withCmd("sh", "-c", "echo exec-$((40+2))")
                  .exec();
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          docker.execStartCmd(e.getId()).exec(collect(out)).awaitCompletion(30, TimeUnit.SECONDS);
          check(out.toString(StandardCharsets.UTF_8).contains("exec-42"), "exec output: " + out);
          Long code = docker.inspectExecCmd(e.getId()).exec().getExitCodeLong();
          check(code != null && code == 0, "exec exit code " + code);
        });
    m.put(
        "copy_toAndFromContainer",
        () -> {
          String id = container("copy", "sleep", "60");
          docker.startContainerCmd(id).exec();
          Path dir = Files.createTempDirectory("compat-copy");
          Path file = Files.writeString(dir.resolve("hello.txt"), "payload\n");
          docker
              .copyArchiveToContainerCmd(id)
              .withHostResource(file.toString())
              .withRemotePath("/tmp")
              .exec();
          try (InputStream tar = docker.copyArchiveFromContainerCmd(id, "/tmp/hello.txt").exec()) {
            String content = new String(tar.readAllBytes(), StandardCharsets.UTF_8);
            check(content.contains("payload"), "the archive holds the file");
          }
        });
    m.put(
        "containers_list",
        () -> {
          String id = container("list", "sleep", "60");
          docker.startContainerCmd(id).exec();
          List<Container> running = docker.listContainersCmd().exec();
          check(running.stream().anyMatch(c -> c.getId().equals(id)), "the container is listed");
          List<Container> filtered =
              docker
                  .listContainersCmd()
                  .withShowAll(true)
                  .withLabelFilter(Map.of("compat", prefix))
                  .exec();
          check(filtered.stream().anyMatch(c -> c.getId().equals(id)), "found by label");
        });
    m.put(
        "containers_remove",
        () -> {
          String id =
              docker
                  .createContainerCmd(image)
                  .withName(prefix + "-rm")
                  .withCmd("true")
                  .exec()
                  .getId();
          docker.removeContainerCmd(id).withRemoveVolumes(false).withForce(false).exec();
          check(
              docker.listContainersCmd().withShowAll(true).exec().stream()
                  .noneMatch(c -> c.getId().equals(id)),
              "removed");
        });
    m.put(
        "volume_writableByTheContainer",
        () -> {
          String vol = volume("data");
          String id =
              docker
                  .createContainerCmd(image)
                  .withName(prefix + "-vol")
                  .withHostConfig(HostConfig.newHostConfig().withBinds(Bind.parse(vol + ":/data")))
                  .withCmd("sh", "-c", "echo kept > /data/f && cat /data/f")
                  .exec()
                  .getId();
          cleanup.add(() -> docker.removeContainerCmd(id).withForce(true).exec());
          docker.startContainerCmd(id).exec();
          int status = docker.waitContainerCmd(id).start().awaitStatusCode(30, TimeUnit.SECONDS);
          check(status == 0, "writing into the volume: exit " + status + " " + logs(id));
        });
    m.put(
        "volumes_createListRemove",
        () -> {
          String vol = volume("vols");
          check(
              docker.listVolumesCmd().exec().getVolumes().stream()
                  .anyMatch(v -> v.getName().equals(vol)),
              "listed");
          check(docker.inspectVolumeCmd(vol).exec().getName().equals(vol), "inspected");
          docker.removeVolumeCmd(vol).exec();
        });
    m.put(
        "networks_createListRemove",
        () -> {
          String id =
              docker
                  .createNetworkCmd()
                  .withName(prefix + "-net")
                  .withLabels(Map.of("compat", prefix))
                  .exec()
                  .getId();
          cleanup.add(() -> docker.removeNetworkCmd(id).exec());
          List<Network> nets = docker.listNetworksCmd().exec();
          check(nets.stream().anyMatch(n -> n.getId().equals(id)), "listed");
          String c =
              docker
                  .createContainerCmd(image)
                  .withName(prefix + "-netc")
                  .withHostConfig(HostConfig.newHostConfig().withNetworkMode(prefix + "-net"))
                  .withCmd("sleep", "60")
                  .exec()
                  .getId();
          cleanup.add(0, () -> docker.removeContainerCmd(c).withForce(true).exec());
          docker.startContainerCmd(c).exec();
          check(
              docker.inspectNetworkCmd().withNetworkId(id).exec().getContainers().size() == 1,
              "the container is on the network");
          docker.removeContainerCmd(c).withForce(true).exec();
          docker.removeNetworkCmd(id).exec();
        });
    m.put(
        "images_listInspectTag",
        () -> {
          List<Image> images = docker.listImagesCmd().exec();
          check(!images.isEmpty(), "images listed");
          check(docker.inspectImageCmd(image).exec().getId().startsWith("sha256:"), "inspected");
          String repo = prefix + "-tag";
          docker.tagImageCmd(image, repo, "t1").exec();
          docker.removeImageCmd(repo + ":t1").exec();
        });
    m.put(
        "build_fromDockerfile",
        () -> {
          Path dir = Files.createTempDirectory("compat-build");
          Files.writeString(dir.resolve("Dockerfile"), "FROM " + image + "\nLABEL compat=built\n");
          String id =
              docker
                  .buildImageCmd(dir.toFile())
                  .withTags(Set.of(prefix + "-built:t1"))
                  .start()
                  .awaitImageId(60, TimeUnit.SECONDS);
          cleanup.add(() -> docker.removeImageCmd(id).withForce(true).exec());
          check(
              docker
                  .inspectImageCmd(id)
                  .exec()
                  .getConfig()
                  .getLabels()
                  .get("compat")
                  .equals("built"),
              "the built image has its label");
        });
    return m;
  }

  private String container(String hint, String... cmd) {
    CreateContainerResponse c =
        docker
            .createContainerCmd(image)
            .withName(prefix + "-" + hint)
            .withLabels(Map.of("compat", prefix))
            .withCmd(cmd)
            .exec();
    cleanup.add(() -> docker.removeContainerCmd(c.getId()).withForce(true).exec());
    return c.getId();
  }

  private String volume(String hint) {
    String name = prefix + "-" + hint;
    docker.createVolumeCmd().withName(name).exec();
    cleanup.add(() -> docker.removeVolumeCmd(name).exec());
    return name;
  }

  private String logs(String id) throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    docker
        .logContainerCmd(id)
        .withStdOut(true)
        .withStdErr(true)
        .withFollowStream(true)
        .exec(collect(out))
        .awaitCompletion(30, TimeUnit.SECONDS);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static ResultCallback.Adapter<Frame> collect(ByteArrayOutputStream out) {
    return new ResultCallback.Adapter<>() {
      @Override
      public void onNext(Frame frame) {
        out.writeBytes(frame.getPayload());
      }
    };
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(what);
    }
  }

  private void cleanUp() {
    for (Runnable r : cleanup.reversed()) {
      try {
        r.run();
      } catch (RuntimeException e) {
        // already gone
      }
    }
  }
}
