package dev.berth.policy.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.berth.policy.SavedImageNames;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link TarSanitizer#tagsOnly}: a {@code docker save} archive on its way to the caller keeps every
 * header as the daemon wrote it; only its tag entries are rewritten ({@link SavedImageNames}).
 */
class TarSanitizerTagsOnlyTest {
  private static final String OWN = "berth.invalid/u1001/docker.io/library/app:1";

  private static byte[] manifest(String tag) {
    return ("[{\"Config\":\"blobs/sha256/c\",\"RepoTags\":[\"" + tag + "\"],\"Layers\":[]}]\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] padded(byte[] content) {
    return Arrays.copyOf(content, (content.length + 511) / 512 * 512);
  }

  private static byte[] run(byte[] in, int chunk) throws Exception {
    TarSanitizer t = TarSanitizer.tagsOnly(new SavedImageNames(1001));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < in.length; i += chunk) {
      out.writeBytes(t.next(Arrays.copyOfRange(in, i, Math.min(in.length, i + chunk))));
    }
    t.finish();
    return out.toByteArray();
  }

  @Test
  void save_ownTag_manifestNamesItPlain_otherHeadersAsWritten() throws Exception {
    byte[] m = manifest(OWN);
    byte[] blob = TarSanitizerTest.header("blobs/sha256/c", '0', 0644, 0, 0, 5);
    byte[] in =
        TarSanitizerTest.tar(
            TarSanitizerTest.header("blobs/", '5', 0755, 0, 0, 0),
            blob,
            TarSanitizerTest.data("hello"),
            TarSanitizerTest.header("manifest.json", '0', 0644, 0, 0, m.length),
            padded(m));
    for (int chunk : new int[] {1, 100, 512, 4096}) {
      byte[] out = run(in, chunk);
      String text = new String(out, StandardCharsets.UTF_8);
      assertThat(text).contains("\"RepoTags\":[\"app:1\"]").doesNotContain("berth.invalid");
      // the blob's header passes as the daemon wrote it: owner root, names kept
      assertThat(Arrays.copyOfRange(out, 512, 1024)).isEqualTo(blob);
      assertThat(out.length % 512).isZero();
    }
  }

  @Test
  void save_anotherUsersTag_neverShown() throws Exception {
    byte[] m = manifest("berth.invalid/u1002/docker.io/library/app:1");
    byte[] in =
        TarSanitizerTest.tar(
            TarSanitizerTest.header("manifest.json", '0', 0644, 0, 0, m.length), padded(m));
    String text = new String(run(in, 512), StandardCharsets.UTF_8);
    assertThat(text).contains("\"RepoTags\":[]").doesNotContain("berth.invalid");
  }
}
