package io.sluice.queue;

/** Why a queued request is answered without reaching a backend. */
public enum Rejection {
  /** The queue already held {@code queue.max} requests. */
  QUEUE_FULL("the queue is full"),
  /** The request waited {@code queue.timeout}. */
  TIMEOUT("no backend could take the request within the queue timeout"),
  /**
   * Refused at once rather than late: the queue drains too slowly for it to be served within the queue timeout, or,
   * under sustained overload, within the queue's target wait.
   */
  OVERLOADED("the server is overloaded: the request could not be served in time"),
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
