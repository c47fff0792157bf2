package dev.berth.buildkit;

import com.google.protobuf.Message;
import fsutil.types.Wire;
import grpc.health.v1.Health;
import java.util.Map;
import java.util.Optional;
import moby.buildkit.secrets.v1.SecretsOuterClass;
import moby.filesync.v1.AuthOuterClass;
import moby.sshforward.v1.Ssh;

/**
 * The calls the daemon may make into a caller's session ({@code /session}, where the daemon is the
 * gRPC client and the caller's CLI serves), with the message types of each direction: the build
 * context and Dockerfile (FileSync), registry credentials (Auth), secrets and SSH agent forwarding
 * for the caller's own build, and the session's health checks. They carry the caller's own data to
 * the caller's own build: sessions are bound to their caller ({@link BuildOwners}) and a Solve may
 * name only its caller's sessions, so no other user's build reaches them. Not listed, so refused:
 * exporting files back ({@code FileSend}, berth allows image exports only), {@code
 * FileSync/TarStream}, uploads, session exporters, source-policy verifiers and the session content
 * store (berth allows no build that needs them). Every message is decoded ({@link SessionCall}).
 */
public final class SessionMethods {
  /** The request and response message types of one method. */
  record Types(Message request, Message response) {}

  private static final Types PACKETS =
      new Types(Wire.Packet.getDefaultInstance(), Wire.Packet.getDefaultInstance());
  private static final Map<String, Types> ALLOWED =
      Map.of(
          SessionCall.DIFF_COPY,
          PACKETS,
          "/moby.filesync.v1.Auth/Credentials",
          new Types(
              AuthOuterClass.CredentialsRequest.getDefaultInstance(),
              AuthOuterClass.CredentialsResponse.getDefaultInstance()),
          "/moby.filesync.v1.Auth/FetchToken",
          new Types(
              AuthOuterClass.FetchTokenRequest.getDefaultInstance(),
              AuthOuterClass.FetchTokenResponse.getDefaultInstance()),
          "/moby.filesync.v1.Auth/GetTokenAuthority",
          new Types(
              AuthOuterClass.GetTokenAuthorityRequest.getDefaultInstance(),
              AuthOuterClass.GetTokenAuthorityResponse.getDefaultInstance()),
          "/moby.filesync.v1.Auth/VerifyTokenAuthority",
          new Types(
              AuthOuterClass.VerifyTokenAuthorityRequest.getDefaultInstance(),
              AuthOuterClass.VerifyTokenAuthorityResponse.getDefaultInstance()),
          "/moby.buildkit.secrets.v1.Secrets/GetSecret",
          new Types(
              SecretsOuterClass.GetSecretRequest.getDefaultInstance(),
              SecretsOuterClass.GetSecretResponse.getDefaultInstance()),
          "/moby.sshforward.v1.SSH/CheckAgent",
          new Types(
              Ssh.CheckAgentRequest.getDefaultInstance(),
              Ssh.CheckAgentResponse.getDefaultInstance()),
          "/moby.sshforward.v1.SSH/ForwardAgent",
          new Types(Ssh.BytesMessage.getDefaultInstance(), Ssh.BytesMessage.getDefaultInstance()),
          "/grpc.health.v1.Health/Check",
          new Types(
              Health.HealthCheckRequest.getDefaultInstance(),
              Health.HealthCheckResponse.getDefaultInstance()));

  private SessionMethods() {}

  /** Whether the daemon may call {@code path} ({@code /package.Service/Method}) on a session. */
  public static boolean allowed(String path) {
    return ALLOWED.containsKey(path);
  }

  static Optional<Types> types(String path) {
    return Optional.ofNullable(ALLOWED.get(path));
  }
}
