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
  Waiter prev;
  /** The next in the line while waiting; the next to be told afterwards, when a verdict is delivered to several. */
  Waiter next;
  boolean waiting;
  long enqueuedAt;
  /** The permit on its way to the ticket, between the grant under the lock and its delivery outside it. */
  Grant grant;

  /** @param ticket told what becomes of the request */
  public Waiter(Ticket ticket) {
    this.ticket = ticket;
  }

  /** When the request first entered the queue, on the dispatcher's clock; kept when a retry puts it back. */
  public long enqueuedAtNanos() {
    return enqueuedAt;
  }
}
