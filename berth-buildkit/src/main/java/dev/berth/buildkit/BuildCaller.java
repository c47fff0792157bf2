package dev.berth.buildkit;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.Owner;
import java.util.concurrent.CompletableFuture;

/**
 * The caller of a mediated BuildKit connection, as the proxy identified and judged it.
 *
 * @param uid the caller's uid
 * @param owner the owner of what the caller's builds create
 * @param tags the caller's rule for image names (like {@code docker tag})
 * @param recorder where each judged call is recorded; the call goes on only once the record is
 *     durable
 */
public record BuildCaller(int uid, Owner owner, TagJudge tags, Recorder recorder) {
  public BuildCaller {
    requireNonNull(owner, "owner");
    requireNonNull(tags, "tags");
    requireNonNull(recorder, "recorder");
  }

  /** Records one judged gRPC call (the audit trail). */
  @FunctionalInterface
  public interface Recorder {
    /** Completes once the record is durable; fails when it cannot be written. */
    CompletableFuture<?> record(String path, Verdict verdict);
  }
}
