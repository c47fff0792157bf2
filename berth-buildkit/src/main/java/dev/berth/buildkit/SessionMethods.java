package dev.berth.buildkit;

import java.util.Set;

/**
 * The calls the daemon may make into a caller's session ({@code /session}, where the daemon is
 * the gRPC client and the caller's CLI serves): the build context and Dockerfile (FileSync),
 * registry credentials (Auth), secrets and SSH agent forwarding for the caller's own build, and
 * health checks. They carry the caller's own data to the caller's own build: sessions are bound
 * to their caller ({@link BuildOwners}) and a Solve may name only its caller's sessions, so no
 * other user's build reaches them. Exporting files back ({@code FileSend}), uploads, session
 * exporters, source-policy verifiers and the session content store are not listed: berth allows
 * no build that needs them. Messages on these calls are relayed, not decoded.
 */
public final class SessionMethods {
  private static final Set<String> ALLOWED = Set.of(
      "/moby.filesync.v1.FileSync/DiffCopy",
      "/moby.filesync.v1.Auth/Credentials",
      "/moby.filesync.v1.Auth/FetchToken",
      "/moby.filesync.v1.Auth/GetTokenAuthority",
      "/moby.filesync.v1.Auth/VerifyTokenAuthority",
      "/moby.buildkit.secrets.v1.Secrets/GetSecret",
      "/moby.sshforward.v1.SSH/CheckAgent",
      "/moby.sshforward.v1.SSH/ForwardAgent",
      "/grpc.health.v1.Health/Check");

  private SessionMethods() {}

  /** Whether the daemon may call {@code path} ({@code /package.Service/Method}) on a session. */
  public static boolean allowed(String path) {
    return ALLOWED.contains(path);
  }
}
