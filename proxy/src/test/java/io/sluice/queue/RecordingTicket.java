package io.sluice.queue;

import io.sluice.limit.Permit;

/** A ticket that remembers what happened to it. */
final class RecordingTicket implements Ticket {

  final String name;
  Waiter waiter;
  Permit permit;
  Rejection rejection;
  int retryAfter = -1;
  int calls;

  RecordingTicket(String name) {
    this.name = name;
  }

  /** Queues this ticket and keeps its place, for a later cancel. */
  void enqueue(Dispatcher d) {
    waiter = new Waiter(this);
    d.enqueue(waiter);
  }

  @Override
  public void granted(Permit permit) {
    this.permit = permit;
    calls++;
  }

  @Override
  public void rejected(Rejection why, int retryAfterSeconds) {
    this.rejection = why;
    this.retryAfter = retryAfterSeconds;
    calls++;
  }

  @Override
  public String toString() {
    return name;
  }
}
