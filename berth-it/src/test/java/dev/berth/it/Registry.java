package dev.berth.it;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real registry (distribution's, Debian's {@code docker-registry}) for tests: plain HTTP on
 * 127.0.0.1 and a free port, storage in a temporary directory, started and stopped for a test class
 * by {@link RegistryExtension}. Docker treats registries on 127.0.0.0/8 as insecure by default, so
 * the daemon pushes to and pulls from it without TLS or daemon configuration.
 */
final class Registry implements AutoCloseable {
  private static final Path BINARY = Path.of("/usr/bin/docker-registry");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final Path dir;
  private final int port;
  private final Process process;
  private final HttpClient http = HttpClient.newHttpClient();

  private Registry(Path dir, int port, Process process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  /** Starts a registry and waits until it answers {@code /v2/}; skips (fails on CI) without one. */
  static Registry start() throws Exception {
    if (!Files.isExecutable(BINARY)) {
      ItEnvironment.unavailable(
          "docker-registry is not installed (scripts/test installs it: apt-get install "
              + "docker-registry)");
    }
    Path dir = Files.createTempDirectory("berth-registry-");
    int port = Rsyslog.freePort();
    Path config = dir.resolve("config.yml");
    Files.writeString(
        config,
        """
        version: 0.1
        log:
          level: warn
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: %s/data
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:%d
          secret: %s
        """
            .formatted(dir, port, HexFormat.of().formatHex(new SecureRandom().generateSeed(16))),
        StandardCharsets.UTF_8);
    Process p =
        new ProcessBuilder(BINARY.toString(), "serve", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("registry.out").toFile())
            .start();
    Registry r = new Registry(dir, port, p);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        String out = Files.readString(dir.resolve("registry.out"));
        r.close();
        throw new AssertionError("docker-registry exited with " + p.exitValue() + ":\n" + out);
      }
      try {
        if (r.get("/v2/").statusCode() == 200) {
          return r;
        }
      } catch (IOException e) {
        Thread.sleep(50);
      }
    }
    r.close();
    throw new AssertionError("docker-registry did not answer on " + port);
  }

  /** {@code 127.0.0.1:PORT}: the registry part of an image name. */
  String host() {
    return "127.0.0.1:" + port;
  }

  /** A GET of the registry's HTTP API ({@code /v2/...}). */
  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://" + host() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The tags list of {@code repository} as the registry answers it (404 for none). */
  String tags(String repository) throws IOException, InterruptedException {
    HttpResponse<String> r = get("/v2/" + repository + "/tags/list");
    return r.statusCode() + " " + r.body();
  }

  /** Stops the registry and removes its storage. */
  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
