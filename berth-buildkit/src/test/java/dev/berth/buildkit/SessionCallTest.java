package dev.berth.buildkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import fsutil.types.StatOuterClass;
import fsutil.types.Wire;
import java.nio.charset.StandardCharsets;
import java.util.List;
import moby.buildkit.secrets.v1.SecretsOuterClass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 14: the daemon's calls into a caller's session, decoded and judged both ways. */
class SessionCallTest {
  private static final String PINNED = "docker/dockerfile:1.7@" + CallJudgeTest.PINNED_DIGEST;
  private static final int REGULAR = 0644;
  private static final int DIRECTORY = (int) (1L << 31) | 0755;

  private static SessionCall dockerfileCopy() {
    return SessionCall.open(SessionCall.DIFF_COPY, SessionCall.DOCKERFILE_DIR, CallJudgeTest.PINS)
        .orElseThrow();
  }

  private static byte[] stat(String path, int mode, long modTime) {
    return Wire.Packet.newBuilder()
        .setType(Wire.Packet.PacketType.PACKET_STAT)
        .setStat(
            StatOuterClass.Stat.newBuilder()
                .setPath(path)
                .setMode(mode)
                .setSize(10)
                .setModTime(modTime))
        .build()
        .toByteArray();
  }

  private static byte[] data(int id, String text) {
    return Wire.Packet.newBuilder()
        .setType(Wire.Packet.PacketType.PACKET_DATA)
        .setID(id)
        .setData(ByteString.copyFrom(text, StandardCharsets.UTF_8))
        .build()
        .toByteArray();
  }

  private static byte[] packet(Wire.Packet.PacketType type) {
    return Wire.Packet.newBuilder().setType(type).build().toByteArray();
  }

  /** The caller's side of a transfer of one Dockerfile; the verdict on its last packet. */
  private static Verdict transfer(SessionCall call, String dockerfile) {
    assertThat(call.fromCaller(stat("Dockerfile", REGULAR, 1))).isInstanceOf(Verdict.Forward.class);
    assertThat(call.fromCaller(packet(Wire.Packet.PacketType.PACKET_STAT)))
        .isInstanceOf(Verdict.Forward.class);
    assertThat(
            call.fromDaemon(
                Wire.Packet.newBuilder()
                    .setType(Wire.Packet.PacketType.PACKET_REQ)
                    .setID(0)
                    .build()
                    .toByteArray()))
        .isInstanceOf(Verdict.Forward.class);
    assertThat(call.fromCaller(data(0, dockerfile))).isInstanceOf(Verdict.Forward.class);
    return call.fromCaller(data(0, ""));
  }

  private static String refused(Verdict v) {
    assertThat(v).isInstanceOf(Verdict.Refuse.class);
    return ((Verdict.Refuse) v).message();
  }

  @Test
  void diffCopy_dockerfileWithUnpinnedSyntax_refused() {
    assertThat(refused(transfer(dockerfileCopy(), "# syntax=evil/frontend:1\nFROM busybox\n")))
        .contains("evil/frontend:1", "allow.build_frontends");
  }

  @Test
  void diffCopy_dockerfileWithPinnedSyntax_forwarded() {
    SessionCall call = dockerfileCopy();
    assertThat(transfer(call, "# syntax=" + PINNED + "\nFROM busybox\n"))
        .isInstanceOf(Verdict.Forward.class);
    assertThat(call.fromCaller(packet(Wire.Packet.PacketType.PACKET_FIN)))
        .isInstanceOf(Verdict.Forward.class);
  }

  @Test
  void diffCopy_dockerfileWithoutSyntax_forwarded() {
    assertThat(transfer(dockerfileCopy(), "FROM busybox\n# syntax=evil/frontend:1\n"))
        .isInstanceOf(Verdict.Forward.class);
  }

  /** The daemon would otherwise use the Dockerfile it kept from an earlier build, unseen. */
  @Test
  void diffCopy_dockerfileStat_modificationTimeRefreshed() throws Exception {
    SessionCall call = dockerfileCopy();
    Verdict first = call.fromCaller(stat("Dockerfile", REGULAR, 1));
    Verdict dir = call.fromCaller(stat("sub", DIRECTORY, 1));
    long sent = Wire.Packet.parseFrom(((Verdict.Forward) first).message()).getStat().getModTime();
    assertThat(sent).isNotEqualTo(1);
    assertThat(Wire.Packet.parseFrom(((Verdict.Forward) dir).message()).getStat().getModTime())
        .isEqualTo(1);
    Verdict again = dockerfileCopy().fromCaller(stat("Dockerfile", REGULAR, 1));
    assertThat(Wire.Packet.parseFrom(((Verdict.Forward) again).message()).getStat().getModTime())
        .isNotEqualTo(sent);
  }

  @Test
  void diffCopy_dockerfileNotTransferred_refusedBeforeItsEnd() {
    SessionCall call = dockerfileCopy();
    call.fromCaller(stat("Dockerfile", REGULAR, 1));
    call.fromCaller(packet(Wire.Packet.PacketType.PACKET_STAT));
    assertThat(refused(call.fromCaller(packet(Wire.Packet.PacketType.PACKET_FIN))))
        .contains("did not cross berth");
  }

  @Test
  void diffCopy_dockerfileLargerThanLimit_refused() {
    SessionCall call = dockerfileCopy();
    call.fromCaller(stat("Dockerfile", REGULAR, 1));
    String chunk = "#".repeat(SessionCall.MAX_DOCKERFILE / 2);
    call.fromCaller(data(0, chunk));
    call.fromCaller(data(0, chunk));
    assertThat(refused(call.fromCaller(data(0, "x")))).contains("larger than");
  }

  @Test
  void diffCopy_contextDirectory_notHeld() {
    SessionCall call =
        SessionCall.open(SessionCall.DIFF_COPY, "context", CallJudgeTest.PINS).orElseThrow();
    byte[] stat = stat("Dockerfile", REGULAR, 1);
    assertThat(((Verdict.Forward) call.fromCaller(stat)).message()).isEqualTo(stat);
    assertThat(call.fromCaller(data(0, "# syntax=evil/frontend:1\n")))
        .isInstanceOf(Verdict.Forward.class);
  }

  @Test
  void diffCopy_daemonSendsFiles_refused() {
    assertThat(refused(dockerfileCopy().fromDaemon(stat("x", REGULAR, 1)))).contains("PACKET_STAT");
  }

  @Test
  void diffCopy_unknownField_refused() {
    byte[] bytes =
        Wire.Packet.newBuilder()
            .setType(Wire.Packet.PacketType.PACKET_REQ)
            .setUnknownFields(
                UnknownFieldSet.newBuilder()
                    .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(1).build())
                    .build())
            .build()
            .toByteArray();
    assertThat(refused(dockerfileCopy().fromDaemon(bytes))).contains("not known to berth");
  }

  @Test
  void secrets_getSecret_forwardedBothWays() {
    SessionCall call =
        SessionCall.open("/moby.buildkit.secrets.v1.Secrets/GetSecret", "", FrontendPins.NONE)
            .orElseThrow();
    assertThat(
            call.fromDaemon(
                SecretsOuterClass.GetSecretRequest.newBuilder()
                    .setID("token")
                    .build()
                    .toByteArray()))
        .isInstanceOf(Verdict.Forward.class);
    assertThat(
            call.fromCaller(
                SecretsOuterClass.GetSecretResponse.newBuilder()
                    .setData(ByteString.copyFromUtf8("s3cret"))
                    .build()
                    .toByteArray()))
        .isInstanceOf(Verdict.Forward.class);
  }

  @Test
  void secrets_undecodableMessage_refused() {
    SessionCall call =
        SessionCall.open("/moby.buildkit.secrets.v1.Secrets/GetSecret", "", FrontendPins.NONE)
            .orElseThrow();
    assertThat(refused(call.fromDaemon(new byte[] {(byte) 0xff, 0x01})))
        .contains("does not decode");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/moby.filesync.v1.FileSync/TarStream",
        "/moby.filesync.v1.FileSend/DiffCopy",
        "/moby.upload.v1.Upload/Pull",
        "/moby.exporter.v1.Exporter/FindExporters",
        "/moby.buildkit.v1.frontend.LLBBridge/ReadFile",
        "/grpc.health.v1.Health/Watch"
      })
  void session_methodNotListed_refused(String path) {
    assertThat(SessionCall.open(path, "", FrontendPins.NONE)).isEmpty();
    assertThat(SessionMethods.allowed(path)).isFalse();
  }

  @Test
  void dockerfileSyntax_everyFormAnyEngineFollows_found() {
    assertThat(DockerfileSyntax.frontends(bytes("\uFEFF#!/usr/bin/env x\n#  Syntax = a/b:1 x\n")))
        .containsExactly("a/b:1");
    assertThat(DockerfileSyntax.frontends(bytes("// syntax=c/d\nFROM x\n"))).containsExactly("c/d");
    assertThat(DockerfileSyntax.frontends(bytes("{\"syntax\": \"e/f\"}"))).containsExactly("e/f");
    assertThat(DockerfileSyntax.frontends(bytes("# foo=bar\n# syntax=g/h\r\n# syntax=i/j\n")))
        .containsExactly("g/h", "i/j");
    assertThat(DockerfileSyntax.frontends(bytes("FROM x\n# syntax=k/l\n"))).isEmpty();
    assertThat(DockerfileSyntax.frontends(bytes("# a comment\n# syntax=k/l\n"))).isEmpty();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void sharedKey_sameClientKeyOfTwoUsers_neverEqual() {
    assertThat(BuildMediator.sharedKey(1001, "k")).isNotEqualTo(BuildMediator.sharedKey(1002, "k"));
    assertThat(BuildMediator.sharedKey(1, "0-k")).isNotEqualTo(BuildMediator.sharedKey(10, "k"));
    assertThat(BuildMediator.sharedKey(1002, "q")).doesNotContain(":");
    assertThat(BuildMediator.sharedKey(1001, "z:berth-1002-q")).doesNotContain(":");
  }

  @Test
  void frontendPins_tagIgnoredRepositoryAndDigestCompared() {
    assertThat(
            CallJudgeTest.PINS.refusal(
                "docker.io/docker/dockerfile@" + CallJudgeTest.PINNED_DIGEST, "x"))
        .isEmpty();
    assertThat(
            CallJudgeTest.PINS.refusal("other/dockerfile:1.7@" + CallJudgeTest.PINNED_DIGEST, "x"))
        .isPresent();
    assertThat(CallJudgeTest.PINS.refusal("docker/dockerfile:1.7", "x"))
        .get()
        .asString()
        .contains("not pinned by digest");
    assertThat(
            FrontendPins.of(List.of("docker/dockerfile:1.7")).refusal("docker/dockerfile:1.7", "x"))
        .isPresent();
  }
}
