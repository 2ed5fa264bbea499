package io.sluice.queue;

import io.sluice.limit.Permit;

/**
 * Whom the dispatcher tells what became of a request it queued.
 *
 * <p>Exactly one of {@link #granted} and {@link #rejected} is called for each {@link Dispatcher#enqueue}, and again
 * for each {@link Permit#retryLater} of a permit it was granted, unless {@link Dispatcher#cancel} returned
 * {@code true} first. Both are called on an arbitrary thread, never under the dispatcher's lock: implementations move
 * to their own event loop.
 */
public interface Ticket {

  /** The request may now go to the backend the permit names. The permit must be released exactly once. */
  void granted(Permit permit);

  /**
   * The request will not be served.
   *
   * @param why               why not
   * @param retryAfterSeconds a suggested {@code Retry-After}, from the queue's current drain rate
   */
  void rejected(Rejection why, int retryAfterSeconds);
}
