package io.sluice.backend;

import java.util.function.LongSupplier;

/**
 * The calls to one backend on one event loop that wait for their response, checked together by one periodic sweep
 * instead of a timer per call: a call with no response progress for the backend's timeout fails. The list is
 * intrusive and the calls in it are bounded by the backend's limit, so a sweep is short.
 *
 * <p>Confined to its event loop.
 */
public final class CallTimeouts {

  /** Starts a periodic task on the event loop: Vert.x's {@code setPeriodic} in production. */
  @FunctionalInterface
  public interface Periodic {
    void every(long millis, Runnable task);
  }

  private final long timeoutNanos;
  private final LongSupplier clock;
  private final Periodic periodic;
  private BackendCall head;
  private boolean sweeping;

  /**
   * @param timeoutNanos the backend's timeout
   * @param clock        monotonic nanoseconds ({@code System::nanoTime} in production)
   * @param periodic     starts the sweep, once, when the first call is added
   */
  public CallTimeouts(long timeoutNanos, LongSupplier clock, Periodic periodic) {
    this.timeoutNanos = timeoutNanos;
    this.clock = clock;
    this.periodic = periodic;
  }

  /** Now, on the clock the sweep compares with. */
  long now() {
    return clock.getAsLong();
  }

  long timeoutNanos() {
    return timeoutNanos;
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
      periodic.every(Math.max(10, Math.min(1000, timeoutNanos / 4_000_000)), this::sweep);
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

  /** Fails every call that made no progress for the timeout. */
  void sweep() {
    long now = clock.getAsLong();
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
