package io.sluice.queue;

import io.sluice.limit.Permit;

/** A ticket that remembers what happened to it. */
final class RecordingTicket extends Ticket {

  final String name;
  Permit permit;
  Rejection rejection;
  int retryAfter = -1;
  int calls;

  RecordingTicket(String name) {
    this.name = name;
  }

  @Override
  protected void granted(Permit permit) {
    this.permit = permit;
    calls++;
  }

  @Override
  protected void rejected(Rejection why, int retryAfterSeconds) {
    this.rejection = why;
    this.retryAfter = retryAfterSeconds;
    calls++;
  }

  @Override
  public String toString() {
    return name;
  }
}
