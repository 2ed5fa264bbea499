package io.sluice.server;

/** How a client's request ended, as counted in status and in {@code sluice_requests_total{outcome}}. */
public enum RequestOutcome {
  /** A backend answered and the answer went to the client. */
  SERVED("served"),
  /** 503: the queue was full. */
  QUEUE_FULL("queue_full"),
  /** 503: no backend could take it within the queue timeout. */
  QUEUE_TIMEOUT("queue_timeout"),
  /** 502: the backend failed after receiving the request, or sent something that is not HTTP. */
  BACKEND_ERROR("backend_error"),
  /** 504: the backend did not answer within its timeout. */
  BACKEND_TIMEOUT("backend_timeout"),
  /** 413: the body was over the limit. */
  TOO_LARGE("too_large"),
  /** 4xx from Sluice itself: a request it cannot forward (431 for uwsgi variables over the buffer, say). */
  REJECTED("rejected"),
  /** The client went away before the answer was complete. */
  CLIENT_GONE("client_gone"),
  /** 503: Sluice was shutting down. */
  SHUTDOWN("shutdown");

  private final String label;

  RequestOutcome(String label) {
    this.label = label;
  }

  /** The metric label value. */
  public String label() {
    return label;
  }
}
