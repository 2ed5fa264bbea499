package io.sluice.server;

import java.util.Locale;

/** How a client's request ended, as counted in status and in {@code sluice_requests_total{outcome}}. */
public enum RequestOutcome {
  /** A backend answered and the answer went to the client. */
  SERVED,
  /** 503: the queue was full. */
  QUEUE_FULL,
  /** 503: no backend could take it within the queue timeout. */
  QUEUE_TIMEOUT,
  /**
   * 503 at once: it could not have been served in time — the queue drains too slowly to reach it within the queue
   * timeout, or, under sustained overload, within the queue's target wait.
   */
  OVERLOADED,
  /** 502: the backend failed after receiving the request, or sent something that is not HTTP. */
  BACKEND_ERROR,
  /** 504: the backend did not answer within its timeout. */
  BACKEND_TIMEOUT,
  /** 413: the body was over the limit. */
  TOO_LARGE,
  /** 4xx from Sluice itself: a request it cannot forward (431 for uwsgi variables over the buffer, say). */
  REJECTED,
  /** The client went away before the answer was complete, or took none of it for {@code clients.sendTimeout}. */
  CLIENT_GONE,
  /** 503: Sluice was shutting down. */
  SHUTDOWN,
  /** 503: the request body had no room in memory or on disk ({@code buffers.memoryTotal}, {@code buffers.disk}). */
  BUFFERS_FULL;

  /** The metric label value: the name in lower case, such as {@code queue_full}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
