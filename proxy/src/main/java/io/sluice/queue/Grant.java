package io.sluice.queue;

import io.sluice.limit.Outcome;
import io.sluice.limit.Permit;

/** The permit the dispatcher hands a waiter: settled through the dispatcher, at most once (it keeps the count). */
final class Grant implements Permit {

  private final Dispatcher dispatcher;
  final Lane lane;
  final Waiter waiter;
  final long startNanos;
  final int inflightAtStart;
  /** Guarded by the dispatcher's lock: the one guard against a second release. */
  boolean done;

  Grant(Dispatcher dispatcher, Lane lane, Waiter waiter, long startNanos, int inflightAtStart) {
    this.dispatcher = dispatcher;
    this.lane = lane;
    this.waiter = waiter;
    this.startNanos = startNanos;
    this.inflightAtStart = inflightAtStart;
  }

  @Override
  public int backend() {
    return lane.index;
  }

  @Override
  public void connected() {
    dispatcher.connected(this);
  }

  @Override
  public void release(Outcome outcome) {
    dispatcher.release(this, outcome);
  }

  @Override
  public void retryLater(boolean busy) {
    dispatcher.retryLater(this, busy);
  }
}
