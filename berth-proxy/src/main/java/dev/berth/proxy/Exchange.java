package dev.berth.proxy;

import dev.berth.enforce.Enforcement;
import dev.berth.policy.Decision;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The state of one request and its answer, from the request head to the end of the answer. The
 * pipeline's handlers pass it along ({@link FramingHandler} creates it) instead of each keeping
 * fields reset by hand between requests; a new request gets a new exchange.
 */
final class Exchange {
  /** The most of a create answer berth keeps to read the created object's id. */
  static final int MAX_CREATED_BODY = 4096;

  final HttpRequest request;
  final Enforcement enforcement;

  /** Whether the client announced a body (Content-Length above 0, or chunked). */
  final boolean hasBody;

  /** The client wants to keep the connection; cleared when the exchange cannot allow it. */
  boolean keepAlive;

  /** The request's last content has been read from the client. */
  boolean requestEnded;

  /** The judged body of an inspected route, once aggregated (null for none or a stream). */
  byte @Nullable [] body;

  /** The allow being carried out, once the enforcement let the request through. */
  Decision.@Nullable Allow allow;

  /**
   * Decompresses and rewrites a streamed tar body ({@code docker cp} into a container), or null.
   */
  @Nullable ArchiveUpload archive;

  /** A classic build's context: its Dockerfile is being judged (the context's end is held). */
  boolean contextJudging;

  /** The request has been sent to the daemon completely. */
  boolean requestComplete;

  /** The daemon's status line has arrived. */
  boolean responseStarted;

  /** The daemon's status, 0 until it answers. */
  int status;

  /** The start of a create answer's JSON body, kept to record the created object's id. */
  @Nullable ByteArrayOutputStream createdBody;

  /** Watches a build's progress for the id of the image it made (then claimed for the caller). */
  @Nullable BuiltImageWatcher builtImage;

  /** The images a load or import answer said it made, to be claimed for the caller. */
  final List<String> madeImages = new ArrayList<>();

  /**
   * Renames the lines of {@code docker events} or of a progress stream (pull, push, load, build)
   * for the caller as they pass, or null.
   */
  @Nullable EventLines events;

  /** Gives a {@code docker save} archive's tags back the caller's names as it passes, or null. */
  @Nullable SavedArchive savedArchive;

  /** The BuildKit session id this request claimed, until it is handed off. */
  @Nullable String buildSession;

  /**
   * The request's framing cannot be trusted (the decoder failed, a length is malformed): its end is
   * unknown, so after the answer everything the client still sends is dropped until it stops.
   */
  boolean broken;

  /** Sent to the daemon, and its result not recorded yet. */
  boolean resultDue;

  /** A response is being relayed and more of it is expected from the daemon. */
  boolean responseOpen;

  /** Relayed parts wait for the flush at the end of the daemon's read cycle. */
  boolean flushPending;

  /** The client's buffer was full: read the daemon again once it drains. */
  boolean readUpstreamWhenWritable;

  /** The daemon half-closed its side of the upstream connection. */
  boolean upstreamInputClosed;

  /** An answer held back until complete (claims, {@code system df}), or null. */
  @Nullable HeldAnswer held;

  /** Whether the exchange counts as an open stream in {@link Metrics}. */
  boolean streamCounted;

  /** Whether the exchange counts against its caller's requests in flight ({@link UserBounds}). */
  boolean admitted;

  Exchange(HttpRequest request, Enforcement enforcement) {
    this.request = request;
    this.enforcement = enforcement;
    this.keepAlive = HttpUtil.isKeepAlive(request);
    this.hasBody = HttpUtil.isTransferEncodingChunked(request) || contentLength(request) > 0;
  }

  /** The announced Content-Length; malformed values are refused by the framing handler first. */
  private static long contentLength(HttpRequest request) {
    try {
      return HttpUtil.getContentLength(request, 0L);
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  Decision.FollowUp followUp() {
    return allow == null ? Decision.FollowUp.NONE : allow.followUp();
  }

  Decision.AnswerNames answerNames() {
    return allow == null ? Decision.AnswerNames.AS_IS : allow.answerNames();
  }

  /** The id of the object the daemon's create answer names, or "". */
  String createdId() {
    if (builtImage != null) {
      return builtImage.imageId();
    }
    return createdBody == null ? "" : Enforcement.createdId(createdBody.toByteArray());
  }

  boolean isHead() {
    return request.method().name().equals("HEAD");
  }
}
