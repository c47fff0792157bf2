package dev.berth.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) driven with the
 * W3C WebDriver protocol over HTTP: chromedriver on a free loopback port, one session with a fresh
 * profile directory, and the few commands the dashboard test needs.
 */
final class WebDriver implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final Process driver;
  private final URI base;
  private String session;

  private WebDriver(Process driver, URI base) {
    this.driver = driver;
    this.base = base;
  }

  /** Starts chromedriver and a headless Chromium session whose profile lives in {@code dir}. */
  static WebDriver start(Path dir) throws IOException, InterruptedException {
    for (String tool : List.of("/usr/bin/chromium", "/usr/bin/chromedriver")) {
      if (!Files.isExecutable(Path.of(tool))) {
        ItEnvironment.unavailable(
            tool + " is missing (chromium, chromium-driver; scripts/test " + "installs them)");
      }
    }
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Process p =
        new ProcessBuilder("chromedriver", "--port=" + port)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("chromedriver.log").toFile())
            .start();
    WebDriver w = new WebDriver(p, URI.create("http://127.0.0.1:" + port));
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        if (w.call("GET", "/status", null).path("value").path("ready").asBoolean()) {
          break;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (!p.isAlive() || System.nanoTime() > deadline) {
        w.close();
        throw new AssertionError(
            "chromedriver did not start: " + Files.readString(dir.resolve("chromedriver.log")));
      }
      Thread.sleep(200);
    }
    ObjectNode caps = JSON.createObjectNode();
    ObjectNode always = caps.putObject("capabilities").putObject("alwaysMatch");
    always.put("browserName", "chrome");
    ObjectNode chrome = always.putObject("goog:chromeOptions");
    chrome.put("binary", "/usr/bin/chromium");
    chrome
        .putArray("args")
        .add("--headless")
        .add("--no-sandbox")
        .add("--disable-gpu")
        .add("--disable-background-networking")
        .add("--disable-component-update")
        .add("--disable-sync")
        .add("--no-first-run")
        .add("--window-size=1400,1000")
        .add("--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
    JsonNode created = w.call("POST", "/session", caps);
    w.session = created.path("value").path("sessionId").asText();
    if (w.session.isEmpty()) {
      w.close();
      throw new AssertionError("no WebDriver session: " + created);
    }
    return w;
  }

  void open(String url) throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("url", url);
    call("POST", "/session/" + session + "/url", body);
  }

  /** Runs {@code script} in the page; its return value. */
  JsonNode script(String script) throws IOException, InterruptedException {
    ObjectNode body = JSON.createObjectNode().put("script", script);
    body.putArray("args");
    return call("POST", "/session/" + session + "/execute/sync", body).path("value");
  }

  /** The text of the first element matching {@code css}, or "" when there is none. */
  String text(String css) throws IOException, InterruptedException {
    return script(
            "const e = document.querySelector("
                + JSON.writeValueAsString(css)
                + "); return e ? e.innerText : '';")
        .asText();
  }

  /** Waits until the text of {@code css} contains {@code needle}; the last text seen. */
  String awaitText(String css, String needle, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String t = text(css);
    while (!t.contains(needle) && System.nanoTime() < deadline) {
      Thread.sleep(250);
      t = text(css);
    }
    return t;
  }

  /** A PNG of the viewport. */
  byte[] screenshot() throws IOException, InterruptedException {
    return Base64.getDecoder()
        .decode(call("GET", "/session/" + session + "/screenshot", null).path("value").asText());
  }

  private JsonNode call(String method, String path, JsonNode body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/json");
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode n = JSON.readTree(r.body());
    if (r.statusCode() != 200) {
      throw new IOException(
          "WebDriver "
              + method
              + " "
              + path
              + ": "
              + r.statusCode()
              + " "
              + n.path("value").path("message").asText(r.body()));
    }
    return n;
  }

  @Override
  public void close() {
    if (session != null) {
      try {
        call("DELETE", "/session/" + session, null);
      } catch (IOException e) {
        // the browser is gone already
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    driver.destroy();
    try {
      driver.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
