package io.sluice.net;

/**
 * A refusal that carries the HTTP status to answer it with, and a one-line message for whoever asked: what the admin
 * API answers a refused change of limits with, and the proxy a request it cannot send to a backend. An answer, not a
 * fault: it has no stack trace.
 */
public abstract class HttpStatusException extends Exception {

  private final int status;

  protected HttpStatusException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** The HTTP status to answer with. */
  public int status() {
    return status;
  }
}
