package io.sluice.backend;

import java.util.Locale;

/**
 * Why a request was sent to a backend again: each time, the backend had not sent a byte of its response, and the
 * request's method is idempotent (RFC 9110 §9.2.2), so a second copy does no harm the first could not have done.
 * The labels are those of {@code sluice_backend_retries_total{reason}}.
 */
public enum RetryReason {
  /** A reused keep-alive connection turned out to be closed by the backend: sent again at once on a new one. */
  STALE_CONNECTION,
  /** A new connection was reset (or failed) before any response byte: queued again, first in line, once. */
  RESET_BEFORE_RESPONSE,
  /** A new connection was closed cleanly before any response byte: queued again, first in line, once. */
  CLOSED_BEFORE_RESPONSE;

  /** The constant's name in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
