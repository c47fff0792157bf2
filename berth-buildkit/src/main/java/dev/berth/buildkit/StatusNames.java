package dev.berth.buildkit;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.berth.policy.ImageNamespace;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import moby.buildkit.v1.ControlOuterClass.StatusResponse;
import moby.buildkit.v1.ControlOuterClass.Vertex;
import moby.buildkit.v1.ControlOuterClass.VertexLog;
import moby.buildkit.v1.ControlOuterClass.VertexStatus;
import moby.buildkit.v1.ControlOuterClass.VertexWarning;

/**
 * A BuildKit build's progress ({@code Control/Status} answers) in the caller's image names (issue
 * 13): the exporter's {@code naming to berth.invalid/u1001/docker.io/library/app:1} reads {@code
 * naming to app:1}, as the classic builder's {@code Successfully tagged} line does.
 *
 * <p>Design note. The daemon streams {@code StatusResponse} messages (buildkit {@code
 * api/services/control/control.proto}); the CLI shows each vertex's {@code name} and {@code error},
 * each status's {@code ID} and {@code name} (the exporter's steps), each log's {@code msg} and each
 * warning's {@code short}, {@code detail} and {@code url}. Every one of these texts is given back
 * the caller's names with {@link ImageNamespace#shownInText} (another user's name reads {@value
 * ImageNamespace#OTHERS}); the function is the same for every message, so a status the CLI follows
 * by its {@code ID} across messages keeps one id. Digests, inputs and vertex references are ids,
 * not names, and stay. A message that names nothing under {@code berth.invalid} (its bytes do not
 * hold the name: protobuf writes strings as their UTF-8 bytes) is relayed as it came; others are
 * decoded, renamed and re-encoded (unknown fields kept as they came). A log chunk that is not UTF-8
 * (binary output of a step) is left as it is.
 */
final class StatusNames {
  private static final byte[] REGISTRY =
      ImageNamespace.REGISTRY.getBytes(StandardCharsets.US_ASCII);

  private final int uid;

  StatusNames(int uid) {
    this.uid = uid;
  }

  /** The message as the caller gets it. */
  byte[] shown(byte[] message) throws InvalidProtocolBufferException {
    if (!contains(message, REGISTRY)) {
      return message;
    }
    StatusResponse.Builder b = StatusResponse.parseFrom(message).toBuilder();
    for (Vertex.Builder v : b.getVertexesBuilderList()) {
      v.setName(text(v.getName())).setError(text(v.getError()));
    }
    for (VertexStatus.Builder s : b.getStatusesBuilderList()) {
      s.setID(text(s.getID())).setName(text(s.getName()));
    }
    for (VertexLog.Builder l : b.getLogsBuilderList()) {
      l.setMsg(bytes(l.getMsg()));
    }
    for (VertexWarning.Builder w : b.getWarningsBuilderList()) {
      w.setShort(bytes(w.getShort())).setUrl(text(w.getUrl()));
      for (int i = 0; i < w.getDetailCount(); i++) {
        w.setDetail(i, bytes(w.getDetail(i)));
      }
    }
    return b.build().toByteArray();
  }

  private String text(String s) {
    return ImageNamespace.shownInText(s, uid);
  }

  private ByteString bytes(ByteString b) {
    if (!contains(b.toByteArray(), REGISTRY)) {
      return b;
    }
    try {
      String s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(b.toByteArray()))
              .toString();
      return ByteString.copyFromUtf8(text(s));
    } catch (CharacterCodingException e) {
      return b; // not text
    }
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
