package dev.berth.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.it.ItEnvironment.UnixUser;
import dev.berth.testing.RawHttp;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Two users' objects behind a berth of their own, for the isolation tests of issue #5: alice and
 * bob each own containers in every state a command needs (running, created, paused, exited), a
 * volume with a file in it and a network, all created through berth as themselves; bob also owns an
 * exec that never ran. root is the administrator.
 *
 * <p>berth runs with a {@code --state-dir} that outlives it, so {@link #restartBerth} hands the
 * owners of execs and images to a new berth. Every object carries the label {@link #label} (volumes
 * created on the fly by {@code -v} are remembered by name, images share the prefix {@link
 * #imageRepo}) and {@link #close} removes them as root, directly on the daemon.
 */
final class Tenants implements AutoCloseable {
  /** Shorter limit for commands that must be refused at once (attach, wait would block). */
  static final Duration QUICK = Duration.ofSeconds(20);

  private static final AtomicInteger SEQ = new AtomicInteger();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ID = Pattern.compile("\"Id\":\"([0-9a-f]{64})\"");

  /** A container's state, for commands that need it in that state. */
  enum Kind {
    RUNNING,
    CREATED,
    PAUSED,
    EXITED
  }

  /**
   * How a command names a container. By name is the daemon's name ({@code u1002_web} under private
   * names, issue 13): a plain name means the caller's own namespace, so only the daemon's name can
   * address another user's container (and it is what administrators use).
   */
  enum Ref {
    NAME,
    ID,
    PREFIX;

    String of(Container c) {
      return switch (this) {
        case NAME -> DAEMON_NAMES.computeIfAbsent(c.name(), n -> upstreamName("container", n));
        case ID -> c.id();
        case PREFIX -> c.id().substring(0, 12);
      };
    }
  }

  /** The daemon's names of the containers named so far, by the names their owners gave. */
  private static final Map<String, String> DAEMON_NAMES = new ConcurrentHashMap<>();

  record Container(String name, String id) {}

  /** What one user owns. */
  record Estate(
      UnixUser owner,
      Map<Kind, Container> containers,
      String volume,
      String network,
      String networkId) {
    Container container(Kind kind) {
      return containers.get(kind);
    }
  }

  /** An HTTP answer, from curl; the body without trailing white space. */
  record Answer(int status, String body, Proc.Result proc) {
    String describe() {
      return "status " + status + "\n" + proc.describe();
    }
  }

  /** The label on every object of these tenants: {@code it.berth.tenants=<run>-<n>}. */
  final String label = "it.berth.tenants=" + ItEnvironment.RUN_ID + "-" + SEQ.incrementAndGet();

  /** The prefix of every image reference these tenants create: {@code it-<run>-<n>/}. */
  final String imageRepo = "it-" + ItEnvironment.RUN_ID + "-" + SEQ.incrementAndGet() + "/";

  final UnixUser alice = ItEnvironment.user("alice");
  final UnixUser bob = ItEnvironment.user("bob");
  final UnixUser root = ItEnvironment.user("root");
  final String image = ItEnvironment.image();

  /** The daemon's API version, e.g. {@code 1.41}. */
  final String apiVersion;

  final Estate aliceOwns;
  final Estate bobOwns;

  /** An exec in bob's running container that was created but never started. */
  final String bobExec;

  /** A file anyone may read, for {@code docker cp} into containers. */
  final Path hostFile;

  private final Path stateDir;
  private final Path work;
  private final List<String> looseVolumes = new ArrayList<>();
  private final Map<String, Queue<Future<Container>>> spares = new ConcurrentHashMap<>();
  private final ExecutorService background =
      Executors.newFixedThreadPool(2, Thread.ofVirtual().factory());
  private volatile BerthServer berth;
  private volatile DockerCli cli;

  private Tenants() {
    try {
      work = Files.createTempDirectory(Path.of("/tmp"), "bit-iso-");
      Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
      stateDir = work.resolve("state");
      hostFile = work.resolve("intruder.txt");
      Files.writeString(hostFile, "written by whoever copied it\n");
      Files.setPosixFilePermissions(hostFile, PosixFilePermissions.fromString("rw-r--r--"));
    } catch (IOException e) {
      throw new AssertionError("cannot prepare a work directory: " + e, e);
    }
    berth = BerthServer.start(ItEnvironment.upstreamUrl(), stateDir);
    cli = new DockerCli(berth.socket());
    try {
      Proc.Result v = DockerCli.upstream("version", "--format", "{{.Server.APIVersion}}");
      assertOk(v);
      apiVersion = v.stdout().strip();
      Estate[] estates = new Estate[2];
      parallel(() -> estates[0] = estate(alice), () -> estates[1] = estate(bob));
      aliceOwns = estates[0];
      bobOwns = estates[1];
      bobExec = createExec(bob, bobOwns.container(Kind.RUNNING), "touch /tmp/exec-ran");
    } catch (RuntimeException | Error e) {
      close(); // the caller never gets this instance to close
      throw e;
    }
  }

  /** Starts berth and creates both users' objects; skips or fails (CI) without a daemon. */
  static Tenants open() {
    ItEnvironment.require();
    return new Tenants();
  }

  private Estate estate(UnixUser u) {
    String network = ItEnvironment.uniqueName(u.name() + "-net");
    assertOk(as(u, "network", "create", "--label", label, network));
    String networkId = upstreamFormat("network", network, "{{.Id}}");
    String volume = ItEnvironment.uniqueName(u.name() + "-vol");
    assertOk(as(u, "volume", "create", "--label", label, volume));
    // The volume takes /var/tmp's mode (1777) from the image, so its owner can write into it.
    assertOk(
        as(
            u,
            "run",
            "--rm",
            "--label",
            label,
            "-v",
            volume + ":/var/tmp",
            image,
            "sh",
            "-c",
            "echo data-" + u.name() + " > /var/tmp/data"));
    Map<Kind, Container> containers = new EnumMap<>(Kind.class);
    Container running = newContainer(u, Kind.RUNNING, "--network", network);
    containers.put(Kind.RUNNING, running);
    for (Kind k : List.of(Kind.CREATED, Kind.PAUSED, Kind.EXITED)) {
      containers.put(k, newContainer(u, k));
    }
    return new Estate(u, Map.copyOf(containers), volume, network, networkId);
  }

  // ---- berth ----------------------------------------------------------------------------------

  /** Stops berth with SIGTERM and starts a new one on the same state directory. */
  void restartBerth() {
    int exit = berth.stop();
    assertThat(berth.socket())
        .as("berth exited with %d and removed its socket", exit)
        .doesNotExist();
    berth.close();
    berth = BerthServer.start(ItEnvironment.upstreamUrl(), stateDir);
    cli = new DockerCli(berth.socket());
  }

  // ---- acting through berth ---------------------------------------------------------------------

  /** The docker CLI as {@code who}, through berth. */
  Proc.Result as(UnixUser who, String... args) {
    return cli.run(who, args);
  }

  Proc.Result as(UnixUser who, Duration timeout, List<String> args) {
    return Proc.run(cli.docker(who, args.toArray(String[]::new)), null, timeout);
  }

  /** Starts the docker CLI as {@code who} and leaves it running. */
  Proc.Running start(UnixUser who, String... args) {
    return cli.start(who, args);
  }

  /**
   * One HTTP request as {@code who}, through berth, with curl: for what the CLI cannot send (a
   * given exec's inspect, start and resize, a container resize, archive requests on a path of the
   * test's choosing).
   *
   * @param pathAndQuery without the version prefix, e.g. {@code /exec/ID/json}
   * @param body JSON, a tar ({@code application/x-tar} when it starts with no brace) or null
   */
  Answer api(UnixUser who, String method, String pathAndQuery, byte[] body) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "curl",
                "-sS",
                "--max-time",
                "20",
                "--unix-socket",
                berth.socket().toString(),
                "-o",
                "-",
                "-w",
                "\n%{http_code}"));
    if (method.equals("HEAD")) {
      cmd.add("--head");
    } else {
      cmd.addAll(List.of("-X", method));
    }
    if (body != null) {
      boolean json = body.length > 0 && body[0] == '{';
      cmd.addAll(
          List.of(
              "-H",
              "Content-Type: " + (json ? "application/json" : "application/x-tar"),
              "--data-binary",
              "@-"));
    }
    cmd.add("http://berth/v1.41" + pathAndQuery);
    Proc.Result r = Proc.run(cli.asUser(who, cmd), body, QUICK);
    assertThat(r.ok()).as("curl failed: %s", r.describe()).isTrue();
    String out = r.stdout();
    int nl = out.lastIndexOf('\n');
    return new Answer(
        Integer.parseInt(out.substring(nl + 1).strip()),
        out.substring(0, Math.max(nl, 0)).strip(),
        r);
  }

  static byte[] json(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Creates (does not start) an exec as {@code who}; returns its id. */
  String createExec(UnixUser who, Container c, String shell) {
    Answer a =
        api(
            who,
            "POST",
            "/containers/" + c.id() + "/exec",
            json("{\"Cmd\":[\"sh\",\"-c\",\"" + shell + "\"]}"));
    assertThat(a.status()).as(a.describe()).isEqualTo(201);
    Matcher m = ID.matcher(a.body());
    assertThat(m.find()).as(a.describe()).isTrue();
    return m.group(1);
  }

  // ---- fresh objects ------------------------------------------------------------------------

  /**
   * A new container of {@code owner}'s, created through berth as them, in state {@code kind}. A
   * running one writes {@code marker-<owner>} to /tmp/marker and {@code log-<owner>} to its log, a
   * created one will print {@code started-<owner>}, an exited one exited with 3.
   */
  Container newContainer(UnixUser owner, Kind kind, String... options) {
    String name = ItEnvironment.uniqueName(owner.name() + "-" + kind.name().toLowerCase());
    List<String> args =
        new ArrayList<>(
            List.of(kind == Kind.CREATED ? "create" : "run", "--name", name, "--label", label));
    if (kind == Kind.RUNNING || kind == Kind.PAUSED) {
      args.add("-d");
    }
    args.addAll(List.of(options));
    args.add(image);
    args.addAll(
        switch (kind) {
          case RUNNING, PAUSED ->
              List.of(
                  "sh",
                  "-c",
                  "echo marker-"
                      + owner.name()
                      + " > /tmp/marker; echo log-"
                      + owner.name()
                      + "; exec sleep 3600");
          case CREATED -> List.of("sh", "-c", "echo started-" + owner.name());
          case EXITED -> List.of("sh", "-c", "echo log-" + owner.name() + "; exit 3");
        });
    Proc.Result r = as(owner, args.toArray(String[]::new));
    assertThat(r.exitCode()).as(r.describe()).isEqualTo(kind == Kind.EXITED ? 3 : 0);
    String id = inspectContainer(name).path("Id").asText();
    if (kind == Kind.RUNNING || kind == Kind.PAUSED) {
      awaitMarker(id);
    }
    if (kind == Kind.PAUSED) {
      assertOk(as(owner, "pause", name));
    }
    return new Container(name, id);
  }

  private static void awaitMarker(String id) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (daemonGet("/containers/" + id + "/archive?path=/tmp/marker").status() != 200) {
      assertThat(System.nanoTime())
          .as("container %s never wrote /tmp/marker", id)
          .isLessThan(deadline);
      sleep(20);
    }
  }

  /** A new volume of {@code owner}'s, created through berth as them, with {@code options}. */
  String newVolume(UnixUser owner, String... options) {
    String name = ItEnvironment.uniqueName(owner.name() + "-vol");
    List<String> args = new ArrayList<>(List.of("volume", "create", "--label", label));
    args.addAll(List.of(options));
    args.add(name);
    assertOk(as(owner, args.toArray(String[]::new)));
    return name;
  }

  /** A new network of {@code owner}'s, created through berth as them, with {@code options}. */
  String newNetwork(UnixUser owner, String... options) {
    String name = ItEnvironment.uniqueName(owner.name() + "-net");
    List<String> args = new ArrayList<>(List.of("network", "create", "--label", label));
    args.addAll(List.of(options));
    args.add(name);
    assertOk(as(owner, args.toArray(String[]::new)));
    return name;
  }

  /**
   * Starts making {@code count} containers of {@code owner}'s in state {@code kind} in the
   * background (two at a time), for {@link #spareContainer}: tests that each need a fresh one then
   * do not wait for it.
   */
  void prepare(UnixUser owner, Kind kind, int count) {
    Queue<Future<Container>> q =
        spares.computeIfAbsent(owner.name() + "/" + kind, k -> new ConcurrentLinkedQueue<>());
    for (int i = 0; i < count; i++) {
      q.add(background.submit(() -> newContainer(owner, kind)));
    }
  }

  /** A fresh container (one {@link #prepare}d if there is one left, else a new one). */
  Container spareContainer(UnixUser owner, Kind kind) {
    Queue<Future<Container>> q = spares.get(owner.name() + "/" + kind);
    Future<Container> f = q == null ? null : q.poll();
    if (f == null) {
      return newContainer(owner, kind);
    }
    try {
      return f.get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Error err ? err : new AssertionError(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** A volume name nobody uses yet, removed by {@link #close} whoever creates it. */
  String looseVolume(String hint) {
    String name = ItEnvironment.uniqueName(hint);
    removeAtClose(name);
    return name;
  }

  /** A volume without this run's label that {@link #close} must remove too. */
  void removeAtClose(String volume) {
    synchronized (looseVolumes) {
      looseVolumes.add(volume);
    }
  }

  /** A fresh image reference under this run's repository prefix. */
  String imageRef(String hint) {
    return imageRepo + hint + "-" + SEQ.incrementAndGet() + ":1";
  }

  // ---- the daemon's view, as root -------------------------------------------------------------

  /**
   * The daemon's name of the tag {@code ref} ({@code it-…/x:1}) that {@code u} gave an image: in
   * u's image namespace (issue 13).
   */
  static String daemonImage(UnixUser u, String ref) {
    return "berth.invalid/u"
        + u.uid()
        + "/docker.io/"
        + (ref.contains("/") ? ref : "library/" + ref);
  }

  /** {@code docker TYPE inspect --format FORMAT ref} as root on the daemon; must succeed. */
  static String upstreamFormat(String type, String ref, String format) {
    Proc.Result r =
        DockerCli.upstream(type, "inspect", "--format", format, upstreamName(type, ref));
    assertOk(r);
    return r.stdout().strip();
  }

  /** Whether {@code docker TYPE inspect ref} finds the object on the daemon. */
  static boolean existsUpstream(String type, String ref) {
    return DockerCli.upstream(type, "inspect", upstreamName(type, ref)).ok();
  }

  /**
   * The daemon's name of a container, network or volume a user named {@code ref}: {@code ref}
   * itself when the daemon knows it, else, when a policy gives private names ({@code name_prefix:
   * "u{uid}_"}, issue 13: alice's {@code web} is {@code u1001_web}), the first of alice's and bob's
   * names for it that the daemon knows.
   */
  /**
   * The daemon's name of what {@code owner} named {@code name} under the default policy's private
   * names ({@code u<uid>_name}, issue 13); what administrators see.
   */
  static String daemonName(UnixUser owner, String name) {
    return "u" + owner.uid() + "_" + name;
  }

  static String upstreamName(String type, String ref) {
    if (type.equals("image") || DockerCli.upstream(type, "inspect", ref).ok()) {
      return ref;
    }
    for (String user : List.of("alice", "bob")) {
      String own = "u" + ItEnvironment.user(user).uid() + "_" + ref;
      if (DockerCli.upstream(type, "inspect", own).ok()) {
        return own;
      }
    }
    return ref;
  }

  /**
   * Everything a command on a container could change: identity, name, state, start time, limits,
   * labels and networks, and the files under /tmp (names, sizes and a digest of the archive the
   * daemon makes of the directory: contents and modification times).
   */
  static String containerState(String id) {
    JsonNode c = inspectContainer(id);
    JsonNode st = c.path("State");
    List<String> networks = new ArrayList<>();
    c.path("NetworkSettings").path("Networks").fieldNames().forEachRemaining(networks::add);
    networks.sort(null);
    Reply tmp = daemonGet("/containers/" + id + "/archive?path=/tmp");
    assertThat(tmp.status()).as("GET archive of /tmp in %s", id).isEqualTo(200);
    return String.join(
            "|",
            c.path("Id").asText(),
            c.path("Name").asText(),
            st.path("Status").asText(),
            st.path("StartedAt").asText(),
            st.path("Paused").asText(),
            c.path("RestartCount").asText(),
            c.path("HostConfig").path("PidsLimit").toString(),
            c.path("Config").path("Labels").toString(),
            String.join(",", networks))
        + "\n/tmp: "
        + tarEntries(tmp.body())
        + " sha256="
        + sha256(tmp.body());
  }

  /** {@code GET /containers/REF/json} as root on the daemon; must succeed. */
  static JsonNode inspectContainer(String ref) {
    Reply r = daemonGet("/containers/" + ref + "/json");
    if (r.status() == 404) {
      r = daemonGet("/containers/" + upstreamName("container", ref) + "/json");
    }
    assertThat(r.status()).as("inspect %s on the daemon: %s", ref, r.text()).isEqualTo(200);
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("the daemon's inspect of " + ref + " is not JSON: " + r.text(), e);
    }
  }

  /** A GET answered by the daemon. */
  record Reply(int status, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * {@code GET path} as root, directly on the daemon, without a child process: HTTP/1.0, so the
   * body comes unchunked and ends with the connection.
   */
  static Reply daemonGet(String path) {
    RawHttp.Response r;
    try {
      r =
          RawHttp.exchange(
              ItEnvironment.upstreamSocket(),
              RawHttp.request("GET /v1.41" + path + " HTTP/1.0"),
              Duration.ofSeconds(20));
    } catch (IOException e) {
      throw new AssertionError("GET " + path + " on the daemon: " + e, e);
    }
    String text = r.text();
    int head = text.indexOf("\r\n\r\n");
    assertThat(head).as("GET %s on the daemon: %s", path, r.describe()).isPositive();
    int status = Integer.parseInt(text.substring(9, 12));
    return new Reply(status, text.substring(head + 4).getBytes(StandardCharsets.ISO_8859_1));
  }

  /** The names and sizes of a tar's entries (ustar headers; pax records are not listed). */
  static String tarEntries(byte[] tar) {
    List<String> out = new ArrayList<>();
    for (int off = 0; off + 512 <= tar.length; ) {
      if (tar[off] == 0) {
        break; // end-of-archive blocks
      }
      String name = cString(tar, off, 100);
      String prefix = cString(tar, off + 345, 155);
      long size = Long.parseLong("0" + cString(tar, off + 124, 12).strip(), 8);
      char type = (char) tar[off + 156];
      if (type != 'x' && type != 'g') {
        out.add((prefix.isEmpty() ? "" : prefix + "/") + name + ":" + size);
      }
      off += 512 + (int) ((size + 511) / 512 * 512);
    }
    return String.join(",", out);
  }

  private static String cString(byte[] b, int off, int len) {
    int end = off;
    while (end < off + len && b[end] != 0) {
      end++;
    }
    return new String(b, off, end - off, StandardCharsets.ISO_8859_1);
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** A volume's identity, labels and the content of its data file (read as root). */
  String volumeState(String name) {
    String state = upstreamFormat("volume", name, "{{.Name}}|{{.CreatedAt}}|{{json .Labels}}");
    Proc.Result data =
        DockerCli.upstream(
            "run",
            "--rm",
            "--label",
            label,
            "-v",
            name + ":/d",
            image,
            "sh",
            "-c",
            "ls -a /d; cat /d/data");
    assertOk(data);
    return state + "\n" + data.stdout();
  }

  /** A network's identity, labels and the names of the containers on it. */
  static String networkState(String id) {
    return upstreamFormat(
        "network",
        id,
        "{{.Id}}|{{.Name}}|{{json .Labels}}|"
            + "{{range $k, $v := .Containers}}{{$v.Name}},{{end}}");
  }

  /** Whether the daemon's API is at least {@code 1.minor}. */
  boolean apiAtLeast(int minor) {
    return Integer.parseInt(apiVersion.substring(apiVersion.indexOf('.') + 1)) >= minor;
  }

  /** An exec's state on the daemon (its inspect, as root). */
  static String execState(String id) {
    Reply r = daemonGet("/exec/" + id + "/json");
    assertThat(r.status()).as("inspect exec %s on the daemon: %s", id, r.text()).isEqualTo(200);
    return r.text();
  }

  // ---- helpers --------------------------------------------------------------------------------

  static void assertOk(Proc.Result r) {
    assertThat(r.ok()).as(r.describe()).isTrue();
  }

  /** Runs independent steps at once (each is mostly a docker CLI process) and waits for all. */
  static void parallel(Runnable... steps) {
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> futures = Stream.of(steps).<Future<?>>map(pool::submit).toList();
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (ExecutionException e) {
          if (e.getCause() instanceof Error err) {
            throw err;
          }
          throw new AssertionError(e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted", e);
        }
      }
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Stops berth and removes everything of this run from the daemon, as root. */
  @Override
  public void close() {
    spares.values().forEach(q -> q.forEach(f -> f.cancel(false))); // not started: never
    background.shutdown(); // started: let them finish, so that they are removed below
    try {
      background.awaitTermination(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (berth != null) {
        berth.close();
      }
    } finally {
      removeEverything();
      deleteTree(work);
    }
  }

  private void removeEverything() {
    // Full ids: a short one may be another container's name (see IsolationIT).
    List<String> containers =
        lines(DockerCli.upstream("ps", "-aq", "--no-trunc", "--filter", "label=" + label));
    if (!containers.isEmpty()) {
      DockerCli.upstream(
          Stream.concat(Stream.of("rm", "-f"), containers.stream()).toArray(String[]::new));
    }
    List<String> networks =
        lines(
            DockerCli.upstream("network", "ls", "-q", "--no-trunc", "--filter", "label=" + label));
    for (String n : networks) {
      // dockerd 20.10 can keep the endpoints of containers removed while on the network
      // ("has active endpoints"); they go only with a forced disconnect.
      for (String c :
          lines(
              DockerCli.upstream(
                  "network",
                  "inspect",
                  "--format",
                  "{{range .Containers}}{{.Name}}{{println}}{{end}}",
                  n))) {
        DockerCli.upstream("network", "disconnect", "-f", n, c);
      }
    }
    if (!networks.isEmpty()) {
      DockerCli.upstream(
          Stream.concat(Stream.of("network", "rm"), networks.stream()).toArray(String[]::new));
    }
    List<String> volumes =
        new ArrayList<>(
            lines(DockerCli.upstream("volume", "ls", "-q", "--filter", "label=" + label)));
    synchronized (looseVolumes) {
      volumes.addAll(looseVolumes);
    }
    if (!volumes.isEmpty()) {
      DockerCli.upstream(
          Stream.concat(Stream.of("volume", "rm", "-f"), volumes.stream()).toArray(String[]::new));
    }
    List<String> images =
        lines(
            DockerCli.upstream(
                "image",
                "ls",
                "--format",
                "{{.Repository}}:{{.Tag}}",
                "--filter",
                "reference=" + imageRepo + "*",
                "--filter",
                "reference=" + daemonImage(alice, imageRepo) + "*",
                "--filter",
                "reference=" + daemonImage(bob, imageRepo) + "*"));
    if (!images.isEmpty()) {
      DockerCli.upstream(
          Stream.concat(Stream.of("rmi", "-f"), images.stream()).toArray(String[]::new));
    }
  }

  static List<String> lines(Proc.Result r) {
    return r.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // best effort
    }
  }
}
