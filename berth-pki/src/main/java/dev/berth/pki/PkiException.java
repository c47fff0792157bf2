package dev.berth.pki;

/** A PKI operation could not be done; the message says what and what to do instead. */
public final class PkiException extends Exception {
  public PkiException(String message) {
    super(message);
  }

  public PkiException(String message, Throwable cause) {
    super(message, cause);
  }
}
