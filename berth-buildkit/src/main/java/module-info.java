/**
 * BuildKit mediation (see {@code dev.berth.buildkit}). Exports its one API package; BuildKit's
 * compiled protos stay inside, opened to protobuf-java only, whose message accessors reflect on
 * them.
 */
module dev.berth.buildkit {
  requires static org.jspecify;
  requires transitive dev.berth.policy;
  requires transitive io.netty.transport;
  requires com.google.protobuf;
  requires io.netty.buffer;
  requires io.netty.codec;
  requires io.netty.codec.http2;
  requires io.netty.common;
  requires io.netty.handler;
  requires org.slf4j;

  exports dev.berth.buildkit;

  opens fsutil.types to
      com.google.protobuf;
  opens google.rpc to
      com.google.protobuf;
  opens grpc.health.v1 to
      com.google.protobuf;
  opens moby.buildkit.secrets.v1 to
      com.google.protobuf;
  opens moby.buildkit.v1 to
      com.google.protobuf;
  opens moby.buildkit.v1.apicaps to
      com.google.protobuf;
  opens moby.buildkit.v1.frontend to
      com.google.protobuf;
  opens moby.buildkit.v1.sourcepolicy to
      com.google.protobuf;
  opens moby.buildkit.v1.types to
      com.google.protobuf;
  opens moby.filesync.v1 to
      com.google.protobuf;
  opens moby.sshforward.v1 to
      com.google.protobuf;
  opens pb to
      com.google.protobuf;
}
