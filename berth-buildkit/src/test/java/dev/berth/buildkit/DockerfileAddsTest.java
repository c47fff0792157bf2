package dev.berth.buildkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Engines without source policies (20.10): the {@code ADD} sources of the held Dockerfile that the
 * daemon would fetch, found conservatively.
 */
class DockerfileAddsTest {
  private static Set<String> remote(String dockerfile) {
    return DockerfileAdds.remote(dockerfile.getBytes(StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ADD http://127.0.0.1:8080/secret /s",
        "add https://127.0.0.1/secret /s",
        "  Add\thttps://127.0.0.1/secret /s",
        "ADD HTTPS://127.0.0.1/secret /s",
        "ADD --link http://127.0.0.1/secret /s",
        "ADD --checksum=sha256:abc --chown=1:1 http://127.0.0.1/secret /s",
        "ADD git@127.0.0.1:repo.git /src",
        "ADD ssh://127.0.0.1/repo.git /src",
        "ADD git://127.0.0.1/repo.git /src",
        "ADD https://127.0.0.1/repo.git#main /src",
        "ADD github.com/org/repo /src",
        "ADD local.txt http://127.0.0.1/secret /dir/",
        "ADD \"http://127.0.0.1/secret\" /s",
        "ADD ht\\tp://127.0.0.1/secret /s",
        "ADD [\"http://127.0.0.1/secret\", \"/s\"]",
        "ADD [\"http:\\/\\/127.0.0.1\\/secret\", \"/s\"]",
        "ADD [\"\\u0068ttp://127.0.0.1/secret\", \"/s\"]",
        "ONBUILD ADD http://127.0.0.1/secret /s",
        "ADD $URL /s",
        "ADD ${URL} /s",
        "ADD http:/$REST /s",
        "ADD files$X /s",
        "ADD github.com/$X /s",
        "ADD \\$X /s",
      })
  void remote_urlGitOrVariable_found(String line) {
    assertThat(remote("FROM busybox\n" + line + "\n")).as(line).isNotEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ADD app.tar.gz /app",
        "ADD ./files/$NAME /app/",
        "ADD /abs/${X} /app/",
        "ADD files/$X /app/",
        "ADD --chown=$UID:$GID app.tar.gz /app",
        "ADD <<EOF /etc/motd\nhello\nEOF",
        "COPY http://127.0.0.1/secret /s",
        "RUN echo http://127.0.0.1/secret",
        "# ADD http://127.0.0.1/secret /s",
        "ADD [\"app.tar.gz\", \"/app\"]",
        "ADD app.tar.gz http://weird-destination",
      })
  void remote_localSources_notFound(String line) {
    assertThat(remote("FROM busybox\n" + line + "\n")).as(line).isEmpty();
  }

  @Test
  void remote_continuationLinesWithEitherEscape_joined() {
    assertThat(remote("FROM busybox\nADD \\\n  http://127.0.0.1/secret \\\n  /s\n"))
        .containsExactly("http://127.0.0.1/secret");
    assertThat(remote("# escape=`\nFROM busybox\nADD `\n  http://127.0.0.1/secret /s\n"))
        .containsExactly("http://127.0.0.1/secret");
    assertThat(remote("FROM busybox\nADD \\\n# a comment\n\n  http://127.0.0.1/secret /s\n"))
        .containsExactly("http://127.0.0.1/secret");
    assertThat(remote("FROM busybox\r\nADD \\\r\n  http://127.0.0.1/secret /s\r\n"))
        .containsExactly("http://127.0.0.1/secret");
  }

  /** The 20.10 frontend does not know heredocs: a body line is an instruction there. */
  @Test
  void remote_heredocBodyLine_foundAnyway() {
    assertThat(remote("FROM busybox\nRUN <<EOF\nADD http://127.0.0.1/secret /s\nEOF\n"))
        .containsExactly("http://127.0.0.1/secret");
  }
}
