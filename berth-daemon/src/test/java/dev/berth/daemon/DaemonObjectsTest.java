package dev.berth.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.AddressPool;
import dev.berth.policy.DockerObject;
import dev.berth.policy.Ipv4Block;
import dev.berth.policy.ObjectDirectory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon-backed directory against a small fake daemon that notes each request. */
class DaemonObjectsTest {
  private static final String ID = "c".repeat(64);

  /** A container of alice's that mounts one local volume (nobody's: its root stays as it is). */
  private static final String CONTAINER =
      "{\"Id\":\""
          + ID
          + "\",\"Name\":\"/u1001_web\",\"Config\":{\"Labels\":{\"dev.berth.owner.uid\":\"1001\"}},"
          + "\"Mounts\":[{\"Type\":\"volume\",\"Name\":\"v1\",\"Driver\":\"local\"},"
          + "{\"Type\":\"bind\",\"Source\":\"/home/alice\"}]}";

  private static final String VOLUME =
      "{\"Name\":\"v1\",\"Driver\":\"local\",\"Mountpoint\":\"/nonexistent\",\"Labels\":{}}";

  private static final String INFO =
      "{\"DefaultAddressPools\":[{\"Base\":\"10.221.0.0/16\",\"Size\":24},"
          + "{\"Base\":\"fd00::/48\",\"Size\":64}]}";

  private static final String NETWORK =
      "{\"Name\":\"u1001_bridge\",\"Id\":\"n1\",\"Labels\":{\"dev.berth.owner.uid\":\"1001\"}}";

  @TempDir Path dir;

  private ServerSocketChannel server;
  private MultiThreadIoEventLoopGroup group;
  private OwnerStore store;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private DaemonObjects objects;

  @BeforeEach
  void start() throws IOException {
    Path socket = dir.resolve("d.sock");
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread.ofPlatform().daemon().start(this::accept);
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    store = OwnerStore.open(dir.resolve("state"));
    objects =
        new DaemonObjects(
            new DaemonClient(group, new DomainSocketAddress(socket.toString())), store);
  }

  @AfterEach
  void stop() throws IOException {
    store.close();
    group.shutdownGracefully();
    server.close();
  }

  private void accept() {
    while (server.isOpen()) {
      try {
        SocketChannel c = server.accept();
        Thread.ofPlatform().daemon().start(() -> serve(c));
      } catch (IOException e) {
        return;
      }
    }
  }

  /** Answers GETs only (the directory's lookups): the container, the volume, else 404. */
  private void serve(SocketChannel c) {
    try (c) {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(c), StandardCharsets.ISO_8859_1));
      OutputStream out = Channels.newOutputStream(c);
      String line;
      while ((line = in.readLine()) != null) {
        String path = line.split(" ")[1];
        while ((line = in.readLine()) != null && !line.isEmpty()) {
          // headers: GETs carry no body
        }
        requests.add(path);
        String body =
            path.equals("/containers/" + ID + "/json")
                ? CONTAINER
                : path.equals("/volumes/v1")
                    ? VOLUME
                    : path.equals("/info")
                        ? INFO
                        : path.equals("/networks/u1001_bridge")
                            ? NETWORK
                            : path.equals("/volumes/broken")
                                ? "not json"
                                : "{\"message\":\"no such object\"}";
        String status = body.startsWith("{\"message\"") ? "404 Not Found" : "200 OK";
        out.write(
            ("HTTP/1.1 "
                    + status
                    + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length()
                    + "\r\n\r\n"
                    + body)
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  @Test
  void claimVolumeRoots_afterTheDecisionsInspect_asksOnlyForTheVolumes() throws Exception {
    assertThat(objects.container(ID)).isPresent();
    assertThat(objects.claimVolumeRoots(ID)).isEmpty();
    assertThat(requests).containsExactly("/containers/" + ID + "/json", "/volumes/v1");
  }

  @Test
  void claimVolumeRoots_ofAContainerNotInspectedYet_inspectsItFirst() throws Exception {
    assertThat(objects.claimVolumeRoots(ID)).isEmpty();
    assertThat(requests).containsExactly("/containers/" + ID + "/json", "/volumes/v1");
  }

  @Test
  void hasNetwork_onlyTheNameWithExactlyTheseLabels_andOnlyLooks() throws Exception {
    assertThat(objects.hasNetwork("u1001_bridge", Map.of("dev.berth.owner.uid", "1001"))).isTrue();
    assertThat(objects.hasNetwork("u1001_bridge", Map.of("dev.berth.owner.uid", "1002"))).isFalse();
    assertThat(objects.hasNetwork("u1002_bridge", Map.of("dev.berth.owner.uid", "1002"))).isFalse();
    assertThat(requests)
        .containsExactly(
            "/networks/u1001_bridge", "/networks/u1001_bridge", "/networks/u1002_bridge");
  }

  @Test
  void ahead_answerAndFailureAsTheLookupItselfGivesThem() throws Exception {
    ObjectDirectory.Lookup<Optional<DockerObject>> found =
        objects.ahead(() -> objects.volume("v1"));
    ObjectDirectory.Lookup<Optional<DockerObject>> missing =
        objects.ahead(() -> objects.volume("v2"));
    ObjectDirectory.Lookup<Optional<DockerObject>> failed =
        objects.ahead(() -> objects.volume("broken"));
    assertThat(found.get()).map(DockerObject::name).hasValue("v1");
    assertThat(missing.get()).isEmpty();
    assertThatThrownBy(failed::get)
        .isInstanceOf(ObjectDirectory.LookupException.class)
        .hasMessageContaining("not JSON");
  }

  @Test
  void defaultAddressPools_askedAgain_infoReadOnceItsIpv4PoolsKept() throws Exception {
    List<AddressPool> expected = List.of(new AddressPool(Ipv4Block.parse("10.221.0.0/16"), 24));
    assertThat(objects.defaultAddressPools(false)).isEqualTo(expected);
    assertThat(objects.defaultAddressPools(false)).isEqualTo(expected);
    assertThat(objects.defaultAddressPools(true)).isEqualTo(expected);
    assertThat(requests).containsExactly("/info");
  }
}
