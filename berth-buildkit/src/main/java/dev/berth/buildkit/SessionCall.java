package dev.berth.buildkit;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import fsutil.types.Wire;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One call the daemon makes into a caller's session ({@code /session}), judged message by message
 * in both directions.
 *
 * <p>Design note. Every message is decoded with the method's types ({@link SessionMethods}) and
 * refused when it does not decode or carries a field berth does not know; in a file transfer
 * ({@code FileSync/DiffCopy}, fsutil's protocol: the caller's CLI sends a {@code STAT} packet per
 * file, the daemon asks for contents by the {@code STAT}'s index with {@code REQ}, the CLI sends
 * {@code DATA} packets ending with an empty one, then both send {@code FIN}; fsutil {@code
 * send.go}, {@code receive.go}) only the packet types of each side pass.
 *
 * <p>The transfer of the directory the Dockerfile frontend reads its Dockerfile from (gRPC metadata
 * {@code dir-name: dockerfile}) is held and inspected: a {@code syntax} directive would make the
 * daemon run the frontend image it names, so each one must be a pinned frontend of the caller's
 * role ({@link FrontendPins}, {@link DockerfileSyntax}), else the transfer ends with the reason and
 * the build fails. (What the build reads, images and remote sources, is judged by the source policy
 * of its Solve, {@link ImageSourcePolicy}; engines without source policies run no user's build,
 * {@link CallJudge}.) The daemon keeps each directory between builds and asks only for files whose
 * {@code STAT} changed, so berth gives each file of this directory a fresh modification time (never
 * copied into an image: the frontend only reads it) and the daemon asks for all of them; a file the
 * daemon did not ask for anyway, or larger than {@link #MAX_DOCKERFILE}, ends the transfer before
 * its {@code FIN}, so the daemon never uses a Dockerfile berth has not read.
 */
final class SessionCall {
  static final String DIFF_COPY = "/moby.filesync.v1.FileSync/DiffCopy";

  /** The local name the Dockerfile frontend reads the Dockerfile from (buildkit dockerui). */
  static final String DOCKERFILE_DIR = "dockerfile";

  static final int MAX_DOCKERFILE = 1024 * 1024;

  /** Go's os.ModeType: directory, symlink, pipe, socket, device, char device, irregular. */
  private static final long MODE_TYPE =
      (1L << 31) | (1L << 27) | (1L << 25) | (1L << 24) | (1L << 26) | (1L << 21) | (1L << 19);

  private static final Set<Wire.Packet.PacketType> FROM_RECEIVER =
      Set.of(
          Wire.Packet.PacketType.PACKET_REQ,
          Wire.Packet.PacketType.PACKET_FIN,
          Wire.Packet.PacketType.PACKET_ERR);
  private static final Set<Wire.Packet.PacketType> FROM_SENDER =
      Set.of(
          Wire.Packet.PacketType.PACKET_STAT, Wire.Packet.PacketType.PACKET_DATA,
          Wire.Packet.PacketType.PACKET_FIN, Wire.Packet.PacketType.PACKET_ERR);

  /** Modification times berth gives Dockerfiles: never one the daemon has seen before. */
  private static final AtomicLong FRESH = new AtomicLong(System.currentTimeMillis() * 1_000_000L);

  private final String path;
  private final SessionMethods.Types types;

  /** The Dockerfile directory's transfer, held and read; empty for any other call. */
  private final Optional<DockerfileWatch> dockerfile;

  private SessionCall(
      String path, SessionMethods.Types types, Optional<DockerfileWatch> dockerfile) {
    this.path = path;
    this.types = types;
    this.dockerfile = dockerfile;
  }

  /**
   * The judge of a call the daemon opens, or empty when the method is not allowed.
   *
   * @param dirName the call's {@code dir-name} metadata (empty when absent)
   * @param pins the frontends the caller's role may run
   */
  static Optional<SessionCall> open(String path, String dirName, FrontendPins pins) {
    return SessionMethods.types(path)
        .map(
            t ->
                new SessionCall(
                    path,
                    t,
                    path.equals(DIFF_COPY) && dirName.equals(DOCKERFILE_DIR)
                        ? Optional.of(new DockerfileWatch(pins))
                        : Optional.empty()));
  }

  /** A request message, from the daemon to the caller's CLI. */
  Verdict fromDaemon(byte[] bytes) {
    Message m;
    try {
      m = decode(types.request(), bytes);
    } catch (Refused r) {
      return r.verdict;
    }
    if (m instanceof Wire.Packet p && !FROM_RECEIVER.contains(p.getType())) {
      return refuse("the daemon may not send " + p.getType() + " packets");
    }
    return new Verdict.Forward(bytes, "");
  }

  /** A response message, from the caller's CLI to the daemon. */
  Verdict fromCaller(byte[] bytes) {
    Message m;
    try {
      m = decode(types.response(), bytes);
    } catch (Refused r) {
      return r.verdict;
    }
    if (m instanceof Wire.Packet p) {
      if (!FROM_SENDER.contains(p.getType())) {
        return refuse("a session may not send " + p.getType() + " packets");
      }
      if (dockerfile.isPresent()) {
        return dockerfile.get().accept(p, bytes);
      }
    }
    return new Verdict.Forward(bytes, "");
  }

  private Message decode(Message type, byte[] bytes) throws Refused {
    Message m;
    try {
      m = type.getParserForType().parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new Refused(
          new Verdict.Refuse(
              Verdict.INVALID_ARGUMENT,
              "buildkit_message",
              "berth: " + path + ": the message does not decode (" + e.getMessage() + ")"));
    }
    Optional<String> unknown = UnknownFields.first(m);
    if (unknown.isPresent()) {
      throw new Refused(
          new Verdict.Refuse(
              Verdict.INVALID_ARGUMENT,
              "buildkit_unknown_field",
              "berth: " + path + ": " + unknown.get() + " is not known to berth"));
    }
    return m;
  }

  private Verdict refuse(String why) {
    return Verdict.denied("buildkit_session", path + ": " + why);
  }

  /** A refusal found while decoding. */
  private static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Verdict.Refuse verdict;

    Refused(Verdict.Refuse verdict) {
      super(verdict.message(), null, false, false);
      this.verdict = verdict;
    }
  }

  /** The Dockerfile directory's transfer, from the caller's side. */
  private static final class DockerfileWatch {
    private final FrontendPins pins;

    /** The index the next STAT gets (fsutil numbers files by the order of their STATs). */
    private int next;

    /** Files to read: by index, their path (regular files, not .dockerignore). */
    private final Map<Integer, String> files = new HashMap<>();

    private final Map<Integer, ByteString> contents = new HashMap<>();

    DockerfileWatch(FrontendPins pins) {
      this.pins = pins;
    }

    Verdict accept(Wire.Packet p, byte[] bytes) {
      switch (p.getType()) {
        case PACKET_STAT -> {
          if (!p.hasStat()) {
            return new Verdict.Forward(bytes, "");
          }
          int id = next++;
          String name = p.getStat().getPath();
          if ((p.getStat().getMode() & MODE_TYPE) != 0 || name.endsWith(".dockerignore")) {
            return new Verdict.Forward(bytes, "");
          }
          files.put(id, name);
          contents.put(id, ByteString.EMPTY);
          Wire.Packet fresh =
              p.toBuilder()
                  .setStat(p.getStat().toBuilder().setModTime(FRESH.incrementAndGet()))
                  .build();
          return new Verdict.Forward(fresh.toByteArray(), "");
        }
        case PACKET_DATA -> {
          String name = files.get(p.getID());
          if (name == null) {
            return new Verdict.Forward(bytes, "");
          }
          ByteString so = contents.get(p.getID());
          if (so == null) {
            return refused(name + ": more data after its end");
          }
          if (!p.getData().isEmpty()) {
            if (so.size() + p.getData().size() > MAX_DOCKERFILE) {
              return refused(name + " is larger than " + MAX_DOCKERFILE + " bytes");
            }
            contents.put(p.getID(), so.concat(p.getData()));
            return new Verdict.Forward(bytes, "");
          }
          contents.remove(p.getID());
          for (String ref : DockerfileSyntax.frontends(so.toByteArray())) {
            Optional<String> refusal = pins.refusal(ref, name + "'s syntax directive");
            if (refusal.isPresent()) {
              return Verdict.denied("buildkit_frontend", refusal.get());
            }
          }
          files.remove(p.getID());
          return new Verdict.Forward(bytes, "");
        }
        case PACKET_FIN -> {
          if (!files.isEmpty()) {
            return refused(files.values().iterator().next() + " did not cross berth");
          }
          return new Verdict.Forward(bytes, "");
        }
        default -> {
          return new Verdict.Forward(bytes, "");
        }
      }
    }

    private static Verdict refused(String why) {
      return Verdict.denied(
          "buildkit_frontend",
          "the Dockerfile is read by berth before the "
              + "build uses it (syntax directives): "
              + why);
    }
  }
}
