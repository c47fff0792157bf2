package dev.berth.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.policy.docker.DockerJson;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Finds the id of the image a classic build made, in the build's progress stream as it is relayed.
 *
 * <p>The daemon answers {@code POST /build} with JSON messages, one per line; when the build
 * succeeds, one of them is {@code {"aux":{"ID":"sha256:..."}}} (moby {@code
 * daemon/builder/dockerfile/builder.go}, {@code buildAndLaunch} ... {@code aux.Emit}). The watcher
 * copies each line (bounded: a longer line is skipped, build output is short lines), parses the
 * lines that mention {@code "aux"} with Jackson and keeps the last image id. The stream is not held
 * back: the relay copies its bytes and forwards them as they come.
 */
final class BuiltImageWatcher {
  private static final ObjectMapper JSON = DockerJson.mapper();
  private static final int MAX_LINE = 64 * 1024;

  private final ByteArrayOutputStream line = new ByteArrayOutputStream();
  private boolean skipping;
  private String imageId = "";

  /** Looks at a part of the answer without consuming it. */
  void accept(ByteBuf data) {
    for (int i = data.readerIndex(); i < data.writerIndex(); i++) {
      byte b = data.getByte(i);
      if (b == '\n') {
        if (!skipping) {
          lineEnded();
        }
        line.reset();
        skipping = false;
      } else if (!skipping) {
        if (line.size() >= MAX_LINE) {
          skipping = true;
          line.reset();
        } else {
          line.write(b);
        }
      }
    }
  }

  /** The id the stream announced last, or empty. */
  String imageId() {
    if (!skipping && line.size() > 0) {
      lineEnded();
      line.reset();
    }
    return imageId;
  }

  private void lineEnded() {
    byte[] bytes = line.toByteArray();
    if (!new String(bytes, StandardCharsets.UTF_8).contains("\"aux\"")) {
      return;
    }
    try {
      JsonNode id = JSON.readTree(bytes).path("aux").path("ID");
      if (id.isTextual() && id.textValue().startsWith("sha256:")) {
        imageId = id.textValue();
      }
    } catch (IOException e) {
      // not a message of the build's; nothing to claim from it
    }
  }
}
