package dev.berth.policy.docker;

import static dev.berth.policy.docker.TarSanitizerTest.data;
import static dev.berth.policy.docker.TarSanitizerTest.header;
import static dev.berth.policy.docker.TarSanitizerTest.tar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.berth.policy.RequestException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A classic build's context read by {@link TarSanitizer#forBuildContext} (issue 13). */
class BuildContextTarTest {
  private static final String ENTRY = ".berth-dockerfile-0123456789abcdef0123456789abcdef";

  private static byte[] file(String name, String content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header(name, '0', 0644, 1000, 1000, content.length()));
    byte[] d = new byte[(content.length() + 511) / 512 * 512];
    byte[] c = content.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(c, 0, d, 0, c.length);
    out.writeBytes(d);
    return out.toByteArray();
  }

  /** Feeds {@code in} in pieces of {@code chunk}; returns what was forwarded. */
  private static byte[] feed(TarSanitizer t, byte[] in, int chunk) throws RequestException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < in.length; i += chunk) {
      out.writeBytes(t.next(Arrays.copyOfRange(in, i, Math.min(in.length, i + chunk))));
    }
    t.finish();
    return out.toByteArray();
  }

  @Test
  void context_dockerfileCopiedEntriesPassUnchangedEndHeld() throws Exception {
    byte[] entries = concat(file("Dockerfile", "FROM busybox\n"), file("app/main.sh", "echo hi\n"));
    byte[] in = concat(tar(entries), new byte[8192]);
    for (int chunk : new int[] {1, 100, 512, 1 << 16}) {
      TarSanitizer t = TarSanitizer.forBuildContext("Dockerfile");
      byte[] out = feed(t, in, chunk);
      assertThat(out).as("chunk " + chunk).isEqualTo(entries); // owners kept, end held
      assertThat(t.contextEnded()).isTrue();
      assertThat(new String(t.contextDockerfile(), StandardCharsets.UTF_8))
          .isEqualTo("FROM busybox\n");
    }
  }

  @Test
  void context_tail_dockerignoreListsBerthsEntryThenItThenTheEnd() throws Exception {
    TarSanitizer t = TarSanitizer.forBuildContext("Dockerfile");
    feed(t, tar(file("Dockerfile", "FROM a\n"), file(".dockerignore", "*.log")), 512);
    byte[] tail = t.contextTail(ENTRY, "# escape=\\\nFROM b\n".getBytes(StandardCharsets.UTF_8));
    String text = new String(tail, StandardCharsets.ISO_8859_1);
    assertThat(text).startsWith(".dockerignore").contains("*.log\n" + ENTRY + "\n");
    assertThat(text).contains(ENTRY).contains("# escape=\\\nFROM b\n");
    assertThat(Arrays.copyOfRange(tail, tail.length - 1024, tail.length)).containsOnly(0);
  }

  /** docker's ReplaceFileTarWrapper (the CLI's -f -) ends inside the last entry's padding. */
  @Test
  void context_endingInsideTheLastPadding_paddedThenEndedByBerth() throws Exception {
    byte[] whole = file("Dockerfile", "FROM a\n");
    byte[] in = Arrays.copyOf(whole, 512 + 7);
    TarSanitizer t = TarSanitizer.forBuildContext("Dockerfile");
    assertThat(feed(t, in, 100)).isEqualTo(in);
    byte[] tail = t.contextTail(ENTRY, new byte[] {'x'});
    assertThat(Arrays.copyOfRange(tail, 0, 505)).containsOnly(0);
    assertThat(new String(tail, 505, 13, StandardCharsets.US_ASCII)).isEqualTo(".dockerignore");
    TarSanitizer cut = TarSanitizer.forBuildContext("Dockerfile");
    cut.next(Arrays.copyOf(whole, 512 + 3));
    assertThatThrownBy(cut::finish).hasMessageContaining("truncated");
  }

  @Test
  void context_lastEntryOfTheNameWins() throws Exception {
    TarSanitizer t = TarSanitizer.forBuildContext("./Dockerfile");
    feed(t, tar(file("Dockerfile", "FROM a\n"), file("x/../Dockerfile", "FROM b\n")), 700);
    assertThat(new String(t.contextDockerfile(), StandardCharsets.UTF_8)).isEqualTo("FROM b\n");
  }

  @Test
  void context_lowerCaseDockerfile_usedWhenTheDefaultIsAbsent() throws Exception {
    TarSanitizer t = TarSanitizer.forBuildContext("Dockerfile");
    feed(t, tar(file("dockerfile", "FROM a\n")), 512);
    assertThat(new String(t.contextDockerfile(), StandardCharsets.UTF_8)).isEqualTo("FROM a\n");
    TarSanitizer named = TarSanitizer.forBuildContext("Other");
    feed(named, tar(file("other", "FROM a\n")), 512);
    assertThatThrownBy(named::contextDockerfile)
        .hasMessage("Cannot locate specified Dockerfile: Other");
  }

  @Test
  void context_dockerfileIsASymlink_refused() throws Exception {
    TarSanitizer t = TarSanitizer.forBuildContext("Dockerfile");
    feed(t, tar(file("real", "FROM a\n"), header("Dockerfile", '2', 0777, 0, 0, 0)), 512);
    assertThatThrownBy(t::contextDockerfile).hasMessageContaining("not a regular file");
  }

  @Test
  void context_dockerfileLargerThanTheCap_refused() {
    TarSanitizer t = TarSanitizer.forBuildContext("Dockerfile");
    byte[] big = header("Dockerfile", '0', 0644, 0, 0, TarSanitizer.MAX_CONTEXT_COPY + 1L);
    assertThatThrownBy(() -> t.next(big)).hasMessageContaining("larger than");
  }

  @Test
  void context_devicesAndOwnersPass_sparseRefused() throws Exception {
    byte[] dev = header("dev/null", '3', 0666, 0, 0, 0);
    TarSanitizer t = TarSanitizer.forBuildContext("Dockerfile");
    assertThat(t.next(dev)).isEqualTo(dev);
    assertThatThrownBy(() -> TarSanitizer.forBuildContext("D").next(header("s", 'S', 0, 0, 0, 0)))
        .hasMessageContaining("sparse");
  }

  /**
   * A directory entry with a size is read by Go's archive/tar without data: its "data" is the next
   * header. berth frames it the same way, so a device hidden there is seen (docker cp).
   */
  @Test
  void sanitizer_directoryWithASize_framedWithoutDataAsGoReadsIt() {
    byte[] in = tar(header("d", '5', 0755, 0, 0, 512), header("d/sda", '4', 0600, 0, 0, 0));
    assertThatThrownBy(() -> new TarSanitizer(1001, 1001).next(in)).hasMessageContaining("devices");
    byte[] ctx = tar(header("Dockerfile", '5', 0755, 0, 0, 512), file("Dockerfile", "FROM a\n"));
    TarSanitizer t = TarSanitizer.forBuildContext("Dockerfile");
    assertThat(data("x")).hasSize(512);
    try {
      t.next(ctx);
      t.finish();
      assertThat(new String(t.contextDockerfile(), StandardCharsets.UTF_8)).isEqualTo("FROM a\n");
    } catch (RequestException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
