package io.sluice.queue;

import io.sluice.limit.Permit;

/**
 * A request waiting for a backend slot, and the queue's node: the front's exchange extends it, so that waiting in
 * the queue allocates nothing and leaving it (served, timed out, or the client gone) is O(1).
 *
 * <p>Exactly one of {@link #granted} and {@link #rejected} is called for each {@link Dispatcher#enqueue}, unless
 * {@link Dispatcher#cancel} returned {@code true} first. Both are called on an arbitrary thread and never under the
 * dispatcher's lock; implementations move to their own event loop.
 */
public abstract class Ticket {

  // Guarded by the dispatcher's lock.
  Ticket prev;
  Ticket next;
  boolean waiting;
  long enqueuedAt;
  Dispatcher.Grant grant;

  /** When this ticket last entered the queue, on the dispatcher's clock; kept when a retry puts it back. */
  protected final long enqueuedAtNanos() {
    return enqueuedAt;
  }

  /** The request may now go to the backend the permit names. The permit must be released exactly once. */
  protected abstract void granted(Permit permit);

  /**
   * The request will not be served.
   *
   * @param why               why not
   * @param retryAfterSeconds a suggested {@code Retry-After}, from the queue's current drain rate
   */
  protected abstract void rejected(Rejection why, int retryAfterSeconds);
}
