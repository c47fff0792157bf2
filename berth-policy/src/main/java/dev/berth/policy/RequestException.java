package dev.berth.policy;

/**
 * A request berth cannot judge because it is malformed, ambiguous or unsupported. The message is
 * shown to the caller, so it names the part of the request at fault.
 */
public final class RequestException extends Exception {
  private final Decision.Status status;

  public RequestException(Decision.Status status, String message) {
    super(message);
    this.status = status;
  }

  public static RequestException bad(String message) {
    return new RequestException(Decision.Status.BAD_REQUEST, message);
  }

  public Decision.Status status() {
    return status;
  }
}
