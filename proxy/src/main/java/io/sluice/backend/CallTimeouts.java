package io.sluice.backend;

import io.vertx.core.Vertx;

/**
 * The backend calls of one backend on one event loop that are waiting for their response, checked together by one
 * periodic timer instead of a timer per call: a call with no response progress for the backend's timeout fails.
 * The list is intrusive and the calls in it are bounded by the backend's limit, so a sweep is short.
 *
 * <p>Confined to its event loop.
 */
final class CallTimeouts {

  private final Vertx vertx;
  private final long timeoutNanos;
  private BackendCall head;
  private boolean sweeping;

  CallTimeouts(Vertx vertx, long timeoutNanos) {
    this.vertx = vertx;
    this.timeoutNanos = timeoutNanos;
  }

  void add(BackendCall call) {
    call.timedNext = head;
    call.timedPrev = null;
    if (head != null) {
      head.timedPrev = call;
    }
    head = call;
    call.timed = true;
    if (!sweeping) {
      sweeping = true;
      // A quarter of the timeout between sweeps: a call fails at most 25% late.
      long every = Math.max(10, Math.min(1000, timeoutNanos / 4_000_000));
      vertx.setPeriodic(every, id -> sweep());
    }
  }

  void remove(BackendCall call) {
    if (!call.timed) {
      return;
    }
    if (call.timedPrev == null) {
      head = call.timedNext;
    } else {
      call.timedPrev.timedNext = call.timedNext;
    }
    if (call.timedNext != null) {
      call.timedNext.timedPrev = call.timedPrev;
    }
    call.timedPrev = null;
    call.timedNext = null;
    call.timed = false;
  }

  private void sweep() {
    long now = System.nanoTime();
    for (BackendCall c = head; c != null; ) {
      BackendCall next = c.timedNext;
      if (now - c.lastActivity() >= timeoutNanos) {
        remove(c);
        c.onTimeout();
      }
      c = next;
    }
  }
}
