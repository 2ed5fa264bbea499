package io.sluice.queue;

/**
 * A request's place in the queue: the node a {@link WaitingLine} links, made once per request by whoever queues it
 * and kept through its connect retries, so that joining and leaving the line (served, expired, or its client gone)
 * allocate nothing more and cost O(1).
 *
 * <p>Its fields are guarded by the dispatcher's lock.
 */
public final class Waiter {

  final Ticket ticket;
  /** Where the request runs (its event loop), compared by identity; {@code null}: anywhere. */
  final Object home;
  /** How often a request behind it was served first, for sharing its home with the one whose slot was freed. */
  int overtaken;
  Waiter prev;
  /** The next in the line while waiting; the next to be told afterwards, when a verdict is delivered to several. */
  Waiter next;
  boolean waiting;
  long enqueuedAt;
  /** The permit on its way to the ticket, between the grant under the lock and its delivery outside it. */
  Grant grant;

  /** @param ticket told what becomes of the request */
  public Waiter(Ticket ticket) {
    this(ticket, null);
  }

  /**
   * @param ticket told what becomes of the request
   * @param home   where it runs (its event loop, compared by identity): a slot freed by a request of the same home
   *               may go to it a little ahead of its turn ({@link WaitingLine#nextFor})
   */
  public Waiter(Ticket ticket, Object home) {
    this.ticket = ticket;
    this.home = home;
  }

  /** When the request first entered the queue, on the dispatcher's clock; kept when a retry puts it back. */
  public long enqueuedAtNanos() {
    return enqueuedAt;
  }

  /** Tells each of a chain of granted waiters its permit; outside the dispatcher's lock. */
  static void grantAll(Waiter chain) {
    for (Waiter w = chain; w != null; ) {
      Waiter next = w.next;
      w.next = null;
      w.ticket.granted(w.grant);
      w = next;
    }
  }

  /** Tells each of a chain of waiters it will not be served; outside the dispatcher's lock. */
  static void rejectAll(Waiter chain, Rejection why, int retryAfter) {
    for (Waiter w = chain; w != null; ) {
      Waiter next = w.next;
      w.next = null;
      w.ticket.rejected(why, retryAfter);
      w = next;
    }
  }
}
