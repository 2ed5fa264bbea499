package io.sluice.queue;

import io.sluice.limit.Limit;

/**
 * One backend as the dispatcher sees it: its {@link Limit}, the requests inside it, and its connect backoff. The
 * backend's runtime object holds it; the dispatcher reads and changes it under its lock.
 *
 * <p>Backoff: a backend that refuses a connection (its accept queue is full, or it is restarting) is paused for
 * {@code 2ms * 2^(n-1)} up to 100 ms when busy, {@code 20ms * 2^(n-1)} up to 1 s when not listening, n being the
 * number of failures in a row; a connection that succeeds resets n.
 */
public final class Lane {

  private static final long BUSY_BACKOFF_NANOS = 2_000_000L;
  private static final long BUSY_BACKOFF_MAX_NANOS = 100_000_000L;
  private static final long DOWN_BACKOFF_NANOS = 20_000_000L;
  private static final long DOWN_BACKOFF_MAX_NANOS = 1_000_000_000L;

  final int index;
  /** Volatile for {@link #currentLimit}, read without the lock; changed under it. */
  volatile Limit limit;
  int inflight;
  /** Also read without the lock, to skip taking it when there is nothing to reset. */
  volatile int failures;
  boolean paused;
  long pausedUntil;

  /**
   * @param index the backend's position in configuration order: what {@link io.sluice.limit.Permit#backend()} says
   * @param limit its limit to start with
   */
  public Lane(int index, Limit limit) {
    this.index = index;
    this.limit = limit;
  }

  /** The backend's position in configuration order. */
  public int index() {
    return index;
  }

  /**
   * The limit now, read without the dispatcher's lock, so possibly a moment old: for advice (how many connections to
   * keep open to the backend), never for admission. Any thread.
   */
  public int currentLimit() {
    return limit.current();
  }

  /** Whether a request may start here now: not in backoff, and below the limit. */
  boolean hasRoom(long now) {
    if (paused) {
      if (pausedUntil - now > 0) {
        return false;
      }
      paused = false;
    }
    return inflight < limit.current();
  }

  /** Whether it is in backoff, and the backoff alone keeps it from taking a request. */
  boolean pausedWithRoom(long now) {
    return paused && pausedUntil - now > 0 && inflight < limit.current();
  }

  /** A connect failed: pauses for the next step of the backoff. */
  void refused(boolean busy, long now) {
    failures = Math.min(failures + 1, 30);
    long base = busy ? BUSY_BACKOFF_NANOS : DOWN_BACKOFF_NANOS;
    long max = busy ? BUSY_BACKOFF_MAX_NANOS : DOWN_BACKOFF_MAX_NANOS;
    paused = true;
    pausedUntil = now + Math.min(max, base << Math.min(failures - 1, 20));
  }
}
