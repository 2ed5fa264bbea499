package io.sluice.backend;

/** A request that cannot be sent to a backend as it is; the client gets {@link #status()} with the message. */
public final class RequestRefusedException extends Exception {

  private final int status;

  public RequestRefusedException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** The HTTP status to answer with. */
  public int status() {
    return status;
  }
}
