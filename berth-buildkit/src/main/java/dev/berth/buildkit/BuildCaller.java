package dev.berth.buildkit;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.ImagePolicy;
import dev.berth.policy.Owner;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The caller of a mediated BuildKit connection, as the proxy identified and judged it.
 *
 * @param uid the caller's uid
 * @param owner the owner of what the caller's builds create
 * @param tags the caller's rule for image names (like {@code docker tag})
 * @param pins the frontend images the caller's role may run
 * @param images the caller's image rules, sent to BuildKit as a source policy with each Solve
 * @param recorder where each judged call is recorded; the call goes on only once the record is
 *     durable
 * @param claims where the images the caller's builds make are claimed for the caller
 * @param namespaced whether the caller's images live in a namespace of their own (issue 13): false
 *     for callers who see every image (administrators)
 * @param remote the URLs and git repositories the caller's builds may fetch ({@code
 *     allow.build_remote})
 * @param engine whether the daemon's BuildKit may run the caller's builds at all: only an engine
 *     that applies the source policy berth sends with each Solve confines them
 */
public record BuildCaller(
    int uid,
    Owner owner,
    TagJudge tags,
    FrontendPins pins,
    ImagePolicy images,
    Recorder recorder,
    Claims claims,
    boolean namespaced,
    RemoteSources remote,
    EngineCheck engine) {
  public BuildCaller {
    requireNonNull(owner, "owner");
    requireNonNull(tags, "tags");
    requireNonNull(pins, "pins");
    requireNonNull(images, "images");
    requireNonNull(recorder, "recorder");
    requireNonNull(claims, "claims");
    requireNonNull(remote, "remote");
    requireNonNull(engine, "engine");
  }

  /** Why the daemon's BuildKit may not run the caller's builds. */
  @FunctionalInterface
  public interface EngineCheck {
    /**
     * The reason, or empty when it may. May ask the daemon: called off any event loop, before a
     * build starts ({@code Control/Solve}).
     */
    Optional<String> refusal();
  }

  /** Records who owns what a build exported into the daemon's image store. */
  @FunctionalInterface
  public interface Claims {
    /**
     * Claims the image {@code imageId} and each of {@code tags} (which point at it) for the caller,
     * before the caller learns the build finished.
     */
    void claim(String imageId, List<String> tags);
  }

  /** Records one judged gRPC call (the audit trail). */
  @FunctionalInterface
  public interface Recorder {
    /** Completes once the record is durable; fails when it cannot be written. */
    CompletableFuture<?> record(String path, Verdict verdict);
  }
}
