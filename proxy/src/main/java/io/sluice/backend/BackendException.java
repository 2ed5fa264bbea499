package io.sluice.backend;

/** A backend failed while handling a request it received (or may have received). */
public final class BackendException extends Exception {

  /** What went wrong. */
  public enum Kind {
    /** No response, or no progress in one, within the backend's timeout (504). */
    TIMEOUT,
    /** The response was not valid HTTP/1.x (502). */
    PROTOCOL,
    /** The connection broke before the response was complete (502). */
    CLOSED
  }

  private final Kind kind;

  public BackendException(Kind kind, String message, Throwable cause) {
    super(message, cause, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
