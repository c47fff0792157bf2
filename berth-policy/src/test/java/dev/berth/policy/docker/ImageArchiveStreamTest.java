package dev.berth.policy.docker;

import static dev.berth.policy.docker.TarSanitizerTest.header;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.ImageArchiveNames;
import dev.berth.policy.RequestException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code docker load} archives through {@link TarSanitizer} with {@link ImageArchiveNames}: the
 * tag-bearing entries are rewritten as they stream (in pieces of any size), refusals stop the
 * stream before its end.
 */
class ImageArchiveStreamTest {
  private static final String LAYER = "b".repeat(64);

  /** A file entry: header and content padded to whole blocks. */
  static byte[] file(String name, String content) {
    byte[] body = content.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header(name, '0', 0644, 0, 0, body.length));
    out.writeBytes(body);
    out.writeBytes(new byte[(512 - body.length % 512) % 512]);
    return out.toByteArray();
  }

  static byte[] archive(byte[]... entries) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] e : entries) {
      out.writeBytes(e);
    }
    out.writeBytes(new byte[1024]);
    return out.toByteArray();
  }

  private static String manifest(String tag) {
    return "[{\"Config\":\"c.json\",\"RepoTags\":[\"" + tag + "\"],\"Layers\":[\"l.tar\"]}]";
  }

  /** What berth forwards of {@code in}, fed in pieces of {@code chunk} bytes. */
  private static byte[] load(byte[] in, int chunk, ByteArrayOutputStream forwarded)
      throws RequestException {
    TarSanitizer t = new TarSanitizer(1001, 1001, new ImageArchiveNames(1001));
    for (int i = 0; i < in.length; i += chunk) {
      forwarded.writeBytes(t.next(Arrays.copyOfRange(in, i, Math.min(in.length, i + chunk))));
    }
    t.finish();
    return forwarded.toByteArray();
  }

  private static byte[] load(byte[] in, int chunk) throws RequestException {
    return load(in, chunk, new ByteArrayOutputStream());
  }

  /** The content of entry {@code name} in a forwarded plain archive (no extensions). */
  private static String entry(byte[] tar, String name) {
    int pos = 0;
    while (pos + 512 <= tar.length) {
      String n = new String(tar, pos, 100, StandardCharsets.US_ASCII).replace("\0", "");
      if (n.isEmpty()) {
        break;
      }
      String sizeField = new String(tar, pos + 124, 11, StandardCharsets.US_ASCII);
      int size = Integer.parseInt(sizeField.replace("\0", "").trim(), 8);
      if (n.equals(name)) {
        return new String(tar, pos + 512, size, StandardCharsets.UTF_8);
      }
      pos += 512 + (size + 511) / 512 * 512;
    }
    throw new AssertionError("no entry " + name);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 7, 512, 1 << 20})
  void load_tagOverSharedName_staysPrivate(int chunk) throws Exception {
    // alice's archive names the shared python:3.12: the daemon is handed alice's own name
    byte[] in =
        archive(
            file(LAYER + "/layer.tar", "layer bytes"),
            file("manifest.json", manifest("python:3.12")),
            file("repositories", "{\"python\":{\"3.12\":\"" + LAYER + "\"}}"));
    byte[] out = load(in, chunk);
    assertThat(entry(out, "manifest.json"))
        .contains("\"berth.invalid/u1001/docker.io/library/python:3.12\"")
        .doesNotContain("\"python:3.12\"");
    assertThat(entry(out, "repositories"))
        .isEqualTo(
            "{\"berth.invalid/u1001/docker.io/library/python\":{\"3.12\":\"" + LAYER + "\"}}");
    assertThat(entry(out, LAYER + "/layer.tar")).isEqualTo("layer bytes");
    assertThat(out.length % 512).isZero();
    assertThat(Arrays.copyOfRange(out, out.length - 1024, out.length)).containsOnly(0);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 100, 1 << 20})
  void load_ociLayout_indexPrivate(int chunk) throws Exception {
    byte[] in =
        archive(
            file("blobs/sha256/" + LAYER, "{}"),
            file(
                "index.json",
                "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:"
                    + LAYER
                    + "\",\"annotations\":{\"io.containerd.image.name\":"
                    + "\"docker.io/library/busybox:latest\","
                    + "\"org.opencontainers.image.ref.name\":\"latest\"}}]}"),
            file("manifest.json", manifest("busybox:latest")),
            file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}"));
    byte[] out = load(in, chunk);
    assertThat(entry(out, "index.json"))
        .contains("\"berth.invalid/u1001/docker.io/library/busybox:latest\"");
    assertThat(entry(out, "manifest.json"))
        .contains("\"berth.invalid/u1001/docker.io/library/busybox:latest\"");
    assertThat(entry(out, "oci-layout")).isEqualTo("{\"imageLayoutVersion\":\"1.0.0\"}");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 512, 1 << 20})
  void load_reservedRegistryTag_refusedBeforeEnd(int chunk) {
    byte[] layer = file(LAYER + "/layer.tar", "layer bytes");
    byte[] in =
        archive(
            layer, file("manifest.json", manifest("berth.invalid/u1002/docker.io/library/sh:1")));
    ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
    assertThatThrownBy(() -> load(in, chunk, forwarded))
        .isInstanceOf(RequestException.class)
        .hasMessageContaining("docker load")
        .hasMessageContaining("berth.invalid");
    // nothing of the refused entry, and never the end-of-archive blocks, went on
    assertThat(forwarded.size()).isLessThanOrEqualTo(layer.length);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"./manifest.json", "/manifest.json", "x/../manifest.json", "a//../manifest.json"})
  void load_manifestUnderAnotherSpelling_stillRewritten(String name) throws Exception {
    byte[] out = load(archive(file(name, manifest("busybox:1"))), 512);
    assertThat(entry(out, name)).contains("berth.invalid/u1001/docker.io/library/busybox:1");
  }

  @Test
  void load_manifestNamedByPaxPath_rewritten() throws Exception {
    byte[] record = "22 path=manifest.json\n".getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream pax = new ByteArrayOutputStream();
    pax.writeBytes(header("PaxHeaders/x", 'x', 0644, 0, 0, record.length));
    pax.writeBytes(record);
    pax.writeBytes(new byte[512 - record.length]);
    byte[] out = load(archive(pax.toByteArray(), file("harmless", manifest("busybox:1"))), 512);
    assertThat(entry(out, "harmless")).contains("berth.invalid/u1001/docker.io/library/busybox:1");
  }

  @Test
  void load_manifestNamedByGnuLongName_rewritten() throws Exception {
    byte[] name = "manifest.json\0".getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream gnu = new ByteArrayOutputStream();
    gnu.writeBytes(header("././@LongLink", 'L', 0644, 0, 0, name.length));
    gnu.writeBytes(name);
    gnu.writeBytes(new byte[512 - name.length]);
    byte[] out = load(archive(gnu.toByteArray(), file("harmless", manifest("busybox:1"))), 512);
    assertThat(entry(out, "harmless")).contains("berth.invalid/u1001/docker.io/library/busybox:1");
  }

  @Test
  void load_manifestAsSymlink_refused() {
    byte[] link = header("manifest.json", '2', 0777, 0, 0, 0);
    assertThatThrownBy(() -> load(archive(link), 512)).hasMessageContaining("regular file");
  }

  @Test
  void load_manifestThroughDirectoryLink_refused() {
    // d -> . would make d/manifest.json the archive root's manifest.json once extracted
    byte[] link = header("d", '2', 0777, 0, 0, 0);
    link[157] = '.';
    for (int i = 148; i < 156; i++) {
      link[i] = ' ';
    }
    long sum = 0;
    for (byte b : link) {
      sum += b & 0xff;
    }
    byte[] checksum = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(checksum, 0, link, 148, 8);
    assertThatThrownBy(() -> load(archive(link, file("d/manifest.json", "[]")), 512))
        .hasMessageContaining("through the link d");
  }

  @Test
  void load_paxGlobalHeader_refused() {
    byte[] g = header("pax_global_header", 'g', 0644, 0, 0, 0);
    assertThatThrownBy(() -> load(archive(g), 512)).hasMessageContaining("global");
  }

  @Test
  void load_paxSizeOnManifest_refused() {
    byte[] record = "12 size=200\n".getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream pax = new ByteArrayOutputStream();
    pax.writeBytes(header("PaxHeaders/m", 'x', 0644, 0, 0, record.length));
    pax.writeBytes(record);
    pax.writeBytes(new byte[512 - record.length]);
    assertThatThrownBy(() -> load(archive(pax.toByteArray(), file("manifest.json", "[]")), 512))
        .hasMessageContaining("PAX size");
  }

  @Test
  void load_truncatedInsideManifest_refused() {
    byte[] in = file("manifest.json", manifest("busybox:1"));
    assertThatThrownBy(() -> load(Arrays.copyOf(in, 600), 512)).hasMessageContaining("truncated");
  }

  @Test
  void archive_paxSizeOverride_followsTheDaemonsFraming() throws Exception {
    // docker cp: a PAX size makes the next 1024 bytes data for the daemon (Go's archive/tar), so
    // a setuid-root "header" hidden inside them is data, and the header after them is judged.
    byte[] record = "13 size=1024\n".getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream in = new ByteArrayOutputStream();
    in.writeBytes(header("PaxHeaders/f", 'x', 0644, 0, 0, record.length));
    in.writeBytes(record);
    in.writeBytes(new byte[512 - record.length]);
    in.writeBytes(header("f", '0', 0644, 0, 0, 0));
    byte[] hidden = header("suid", '0', 04755, 0, 0, 0);
    in.writeBytes(hidden);
    in.writeBytes(new byte[512]);
    in.writeBytes(header("g", '0', 04755, 0, 0, 0));
    in.writeBytes(new byte[1024]);
    TarSanitizer t = new TarSanitizer(1001, 1002);
    byte[] out = t.next(in.toByteArray());
    t.finish();
    assertThat(Arrays.copyOfRange(out, 1536, 2048)).isEqualTo(hidden);
    String mode = new String(out, 2560 + 100, 7, StandardCharsets.US_ASCII);
    assertThat(Integer.parseInt(mode, 8)).isEqualTo(0755);
  }
}
