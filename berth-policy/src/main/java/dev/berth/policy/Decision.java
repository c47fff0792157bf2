package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.docker.TarSanitizer;
import java.util.List;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * Outcome of evaluating one request. Only {@link Allow} lets a request through, and it carries the
 * exact request to forward: the engine's rewrite of what it judged, never the client's raw bytes.
 */
public sealed interface Decision {

  /** Name of the rule that decided. */
  String rule();

  /**
   * The request may go upstream as {@code forward}.
   *
   * @param rewrites human-readable notes of what berth changed (empty when nothing changed)
   * @param effects what berth does on the daemon itself once the decision is recorded and before it
   *     forwards {@code forward} (see {@link Effect})
   */
  record Allow(
      String rule,
      CanonicalRequest forward,
      List<String> rewrites,
      FollowUp followUp,
      List<Effect> effects,
      AnswerNames answerNames)
      implements Decision {
    public Allow {
      requireNonNull(rule, "rule");
      requireNonNull(forward, "forward");
      rewrites = List.copyOf(rewrites);
      requireNonNull(followUp, "followUp");
      effects = List.copyOf(effects);
      requireNonNull(answerNames, "answerNames");
    }

    /** An allow whose answer names nothing that needs renaming. */
    public Allow(
        String rule,
        CanonicalRequest forward,
        List<String> rewrites,
        FollowUp followUp,
        List<Effect> effects) {
      this(rule, forward, rewrites, followUp, effects, AnswerNames.AS_IS);
    }

    /** An allow that needs no effect before forwarding. */
    public Allow(String rule, CanonicalRequest forward, List<String> rewrites, FollowUp followUp) {
      this(rule, forward, rewrites, followUp, List.of());
    }

    /** An allow with nothing to do after the daemon answers. */
    public Allow(String rule, CanonicalRequest forward, List<String> rewrites) {
      this(rule, forward, rewrites, FollowUp.NONE);
    }

    /** This allow with {@code names} for the daemon's words in its answer. */
    public Allow withAnswerNames(AnswerNames names) {
      return new Allow(rule, forward, rewrites, followUp, effects, names);
    }
  }

  /**
   * The daemon's own words in an answer, given back the caller's names: the message of an error
   * answer ({@code {"message": ...}}, status 400 and above: {@code No such container: u1001_web}
   * reads {@code web}, {@code berth.invalid/u1001/docker.io/library/app:1} reads {@code app:1}),
   * and, when {@code progress}, every text of each line of a successful progress stream (pull,
   * push, load, build: {@code {"status": ...}}, {@code {"stream": ...}}, {@code {"errorDetail":
   * ...}}) as it passes. Independent of {@link FollowUp}: an answer may be claimed or filtered and
   * still have its errors renamed. A relay that cannot rewrite answers (plugin mode) relays them as
   * they are.
   *
   * @param message the caller's names in a daemon's error message
   * @param progress the caller's names in one text of a progress stream; null when the successful
   *     answer is not a progress stream
   */
  record AnswerNames(UnaryOperator<String> message, @Nullable UnaryOperator<String> progress) {
    /** The daemon's words as they are. */
    public static final AnswerNames AS_IS = new AnswerNames(UnaryOperator.identity(), null);

    public AnswerNames {
      requireNonNull(message, "message");
    }
  }

  /** What the relay does with the daemon's answer to an allowed request. */
  sealed interface FollowUp {
    /** Relay the answer as it is. */
    FollowUp NONE = new Relay();

    /** Relay the answer as it is. */
    record Relay() implements FollowUp {}

    /**
     * Rewrite the JSON answer before relaying it ({@code system df} lists every user's objects; the
     * caller gets only what it may see).
     */
    record FilterResponse(UnaryOperator<JsonNode> filter) implements FollowUp {
      public FilterResponse {
        requireNonNull(filter, "filter");
      }
    }

    /**
     * Rename what the JSON answer names back to the names the caller uses (the daemon's names of
     * the caller's own objects, such as the tags of its image namespace). Nothing the caller may
     * not see depends on it: a relay that cannot rewrite answers (plugin mode) relays the answer as
     * it is, and the caller then sees the daemon's names of its own objects.
     *
     * <p>{@code elements}, when set, is the same mapping for an answer that is a JSON array, one
     * element at a time ({@code mapping} applies it to a parsed array): a relay may then read the
     * array as a stream ({@link dev.berth.policy.docker.DockerJson#mapList}) instead of as a tree.
     */
    record MapNames(UnaryOperator<JsonNode> mapping, @Nullable ListElements elements)
        implements FollowUp {
      public MapNames {
        requireNonNull(mapping, "mapping");
      }

      /** A mapping of whole answers only. */
      public MapNames(UnaryOperator<JsonNode> mapping) {
        this(mapping, null);
      }
    }

    /**
     * A stream of JSON objects, one a line ({@code docker events}): each is renamed back to the
     * names the caller uses as it passes, never held.
     */
    record MapEvents(UnaryOperator<JsonNode> event) implements FollowUp {
      public MapEvents {
        requireNonNull(event, "event");
      }
    }

    /**
     * An image archive ({@code docker save}) on its way to the caller: its tag-bearing entries are
     * held (bounded), rewritten by {@code names} ({@link SavedImageNames}: the caller's own tags as
     * the caller gave them) and relayed; the rest streams as the daemon wrote it. A relay that
     * cannot rewrite answers (plugin mode) relays the archive as it is (the caller then sees the
     * daemon's names of its own tags; nothing the caller may not see depends on it).
     */
    record ShowArchiveNames(TarSanitizer.TagEntries names) implements FollowUp {
      public ShowArchiveNames {
        requireNonNull(names, "names");
      }
    }

    /**
     * Record that the exec the daemon created (the answer's {@code Id}) belongs to {@code owner},
     * before the caller learns its id.
     */
    record ClaimExec(Owner owner) implements FollowUp {
      public ClaimExec {
        requireNonNull(owner, "owner");
      }
    }

    /**
     * Record that the image now tagged {@code ref} (or, when {@code ref} is empty, the image whose
     * id the answer names) belongs to {@code owner}, once the daemon answered with success.
     */
    record ClaimImage(String ref, Owner owner) implements FollowUp {
      public ClaimImage {
        requireNonNull(ref, "ref");
        requireNonNull(owner, "owner");
      }
    }

    /**
     * Undo a push's {@link Effect.HoldTag} and {@link Effect.TagImage} when its answer ended, with
     * success or failure, or the connection closed first ({@link ObjectDirectory#releaseTag}): the
     * temporary tag goes (or the shared image it replaced is tagged again), then the hold. The
     * relay runs it once per request, also when an effect failed and nothing was forwarded.
     */
    record ReleaseTag(String tag, String imageId) implements FollowUp {
      public ReleaseTag {
        requireNonNull(tag, "tag");
        requireNonNull(imageId, "imageId");
      }
    }

    /**
     * Record that the images a {@code docker load} or {@code docker import} made belong to {@code
     * owner}: the answer is a stream of JSON lines naming them ({@code Loaded image: NAME}, {@code
     * Loaded image ID: ID}, an import's {@code {"status":"sha256:..."}}; see {@link
     * ImageArchiveNames#madeImage}). The lines reach the caller renamed like every progress stream
     * ({@link AnswerNames#progress}). The images are claimed once the answer ended, before its end
     * reaches the caller.
     */
    record ClaimLoaded(Owner owner) implements FollowUp {
      public ClaimLoaded {
        requireNonNull(owner, "owner");
      }
    }

    /**
     * Record that what a build made belongs to {@code owner}: the image whose id the build's
     * progress stream announces ({@code {"aux":{"ID":"sha256:..."}}}) and each of {@code tags} that
     * points at an image once the daemon's answer ended.
     */
    record ClaimBuild(List<String> tags, Owner owner) implements FollowUp {
      public ClaimBuild {
        tags = List.copyOf(tags);
        requireNonNull(owner, "owner");
      }
    }
  }

  /** The request is refused; {@code reason} is shown to the user. */
  record Deny(String rule, Status status, String reason) implements Decision {
    public Deny {
      requireNonNull(rule, "rule");
      requireNonNull(status, "status");
      requireNonNull(reason, "reason");
    }
  }

  /** Evaluation could not finish. Enforced as deny. */
  record Indeterminate(String rule, String detail) implements Decision {
    public Indeterminate {
      requireNonNull(rule, "rule");
      requireNonNull(detail, "detail");
    }
  }

  /** Why a request is refused; maps to the HTTP status in one place (the proxy's error writer). */
  enum Status {
    /** Policy forbids it: 403. */
    FORBIDDEN,
    /** The request is malformed or ambiguous: 400. */
    BAD_REQUEST,
    /** The body exceeds what berth inspects: 413. */
    TOO_LARGE,
    /** The object does not exist, or is not the caller's (they look the same): 404. */
    NOT_FOUND,
    /** The name is taken by an object the caller may not see: 409. */
    CONFLICT,
    /** A per-user bound (connections, requests in flight) is reached: 429. */
    TOO_MANY_REQUESTS,
    /** The request did not arrive in time (a slow head or judged body): 408. */
    REQUEST_TIMEOUT,
    /** The {@code Expect} header asks for something berth and the daemon do not do: 417. */
    EXPECTATION_FAILED,
    /** The daemon could not be reached or failed before answering: 502. */
    BAD_GATEWAY,
    /** berth cannot act now (the audit trail cannot record, berth is stopping): 503. */
    UNAVAILABLE
  }

  static Deny forbidden(String rule, String reason) {
    return new Deny(rule, Status.FORBIDDEN, reason);
  }

  static Deny badRequest(String rule, String reason) {
    return new Deny(rule, Status.BAD_REQUEST, reason);
  }

  static Deny notFound(String rule, String reason) {
    return new Deny(rule, Status.NOT_FOUND, reason);
  }
}
