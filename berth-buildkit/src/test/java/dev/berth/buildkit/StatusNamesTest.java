package dev.berth.buildkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import moby.buildkit.v1.ControlOuterClass.StatusResponse;
import moby.buildkit.v1.ControlOuterClass.Vertex;
import moby.buildkit.v1.ControlOuterClass.VertexLog;
import moby.buildkit.v1.ControlOuterClass.VertexStatus;
import moby.buildkit.v1.ControlOuterClass.VertexWarning;
import org.junit.jupiter.api.Test;

/** Issue 13: a BuildKit build's progress names the caller's images as the caller named them. */
class StatusNamesTest {
  private static final String OWN = "berth.invalid/u1001/docker.io/library/app:1";
  private static final String BOBS = "berth.invalid/u1002/docker.io/library/app:1";
  private static final StatusNames ALICE = new StatusNames(1001);

  @Test
  void status_exporterNamingOwnTag_readsTheNameGiven_othersHidden() throws Exception {
    StatusResponse in =
        StatusResponse.newBuilder()
            .addVertexes(Vertex.newBuilder().setDigest("sha256:1").setName("exporting to image"))
            .addStatuses(
                VertexStatus.newBuilder()
                    .setID("naming to " + OWN)
                    .setVertex("sha256:1")
                    .setName("naming to " + OWN))
            .addLogs(VertexLog.newBuilder().setMsg(ByteString.copyFromUtf8("pushed " + BOBS)))
            .addLogs(
                VertexLog.newBuilder()
                    .setMsg(ByteString.copyFrom(new byte[] {(byte) 0xff, 'b', 'e', 'r', 't', 'h'})))
            .addWarnings(VertexWarning.newBuilder().setShort(ByteString.copyFromUtf8(OWN)))
            .build();
    StatusResponse out = StatusResponse.parseFrom(ALICE.shown(in.toByteArray()));
    assertThat(out.getStatuses(0).getID()).isEqualTo("naming to app:1");
    assertThat(out.getStatuses(0).getName()).isEqualTo("naming to app:1");
    assertThat(out.getStatuses(0).getVertex()).isEqualTo("sha256:1");
    assertThat(out.getVertexes(0)).isEqualTo(in.getVertexes(0));
    assertThat(out.getLogs(0).getMsg().toStringUtf8())
        .isEqualTo("pushed (an image of another user)");
    assertThat(out.getLogs(1)).isEqualTo(in.getLogs(1));
    assertThat(out.getWarnings(0).getShort().toStringUtf8()).isEqualTo("app:1");
  }

  @Test
  void status_namingNothingReserved_relayedAsItCame() throws Exception {
    byte[] in =
        StatusResponse.newBuilder()
            .addVertexes(Vertex.newBuilder().setName("[1/2] FROM docker.io/library/busybox"))
            .build()
            .toByteArray();
    assertThat(ALICE.shown(in)).isSameAs(in);
  }
}
