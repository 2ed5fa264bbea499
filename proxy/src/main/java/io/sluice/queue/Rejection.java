package io.sluice.queue;

/** Why a queued request is answered without reaching a backend. */
public enum Rejection {
  /** The queue already held {@code queue.max} requests. */
  QUEUE_FULL("the queue is full"),
  /** The request waited {@code queue.timeout}. */
  TIMEOUT("no backend could take the request within the queue timeout"),
  /** Sluice is shutting down and its drain timeout has passed. */
  SHUTDOWN("the server is shutting down");

  private final String reason;

  Rejection(String reason) {
    this.reason = reason;
  }

  /** A short sentence for the response body. */
  public String reason() {
    return reason;
  }
}
