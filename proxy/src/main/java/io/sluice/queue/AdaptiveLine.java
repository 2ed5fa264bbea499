package io.sluice.queue;

/**
 * Serve fast or refuse fast: a line that absorbs a burst whole, first in first out, like {@link FifoLine}, but under
 * sustained overload keeps only what drains within its target wait, serves the newest first and refuses the rest at
 * once (adaptive LIFO with a controlled delay, as in Facebook's "Fail at Scale").
 *
 * <p><b>Burst or sustained.</b> A spike arrives and stops; sustained overload keeps arriving faster than the backends
 * drain. The line is overloaded once it has stayed non-empty for {@value #INTERVAL_SECONDS} s, its oldest request has
 * waited more than the target, and in every half second of those {@value #INTERVAL_SECONDS} s more requests arrived
 * than left (by {@value #EXCESS}). A spike of any size, once it has arrived, shows no arrivals for the rest of its
 * drain, so it is never mistaken for overload however long it takes to serve. The overload ends when as many leave
 * as arrive over the interval, or when the line empties.
 *
 * <p><b>While overloaded.</b> Nobody waits longer than the target (nor the queue timeout): the oldest are answered
 * 503 then. The newest is served first: it has the most of its client's patience left, and under sustained overload
 * the oldest are the ones whose clients are giving up. A newcomer is admitted only while fewer than
 * {@code rate × target / }{@value #STOCK_DIVISOR} wait (the rate being the last second's departures): a short stock
 * that keeps every backend busy between arrivals, small so that few grow old at the bottom of the stack — the others
 * get 503 at once ({@link Rejection#OVERLOADED}), which is the point: refused fast rather than late. A connect retry
 * goes to the back, to be served next.
 *
 * <p>Not thread-safe: guarded by the dispatcher's lock.
 */
public final class AdaptiveLine extends WaiterDeque {

  static final int INTERVAL_SECONDS = 3;
  static final double EXCESS = 1.05;
  static final int STOCK_DIVISOR = 8;
  private static final int SLICE_BUCKETS = 5;
  private static final int SLICES = INTERVAL_SECONDS * 10 / SLICE_BUCKETS;
  private static final long NEVER = Long.MIN_VALUE;

  private volatile boolean overloaded;
  private volatile long modeSince = NEVER;
  /** The latest time the line was told, for a change of mode noticed where no clock is at hand. */
  private long lastSeen;

  /**
   * @param maxDepth     most requests waiting at once ({@link Integer#MAX_VALUE} for no bound)
   * @param timeoutNanos longest wait
   * @param targetNanos  the wait held under sustained overload
   */
  public AdaptiveLine(int maxDepth, long timeoutNanos, long targetNanos) {
    super(maxDepth, timeoutNanos, targetNanos);
  }

  @Override
  public Rejection admit(long nowNanos) {
    Rejection refusal = super.admit(nowNanos);
    updateMode(nowNanos);
    if (refusal != null || !overloaded) {
      return refusal;
    }
    double stock = Math.max(2, departures.perSecond(nowNanos, 10) * targetNanos() / 1e9 / STOCK_DIVISOR);
    return depth() + 1 > stock ? Rejection.OVERLOADED : null;
  }

  @Override
  public void putBack(Waiter w) {
    if (overloaded) {
      putBackAtTheBack(w);
    } else {
      super.putBack(w);
    }
  }

  @Override
  public Waiter next(long nowNanos) {
    updateMode(nowNanos);
    return overloaded ? takeBack(nowNanos) : takeFront(nowNanos);
  }

  @Override
  long allowedWait() {
    return overloaded ? Math.min(timeoutNanos(), targetNanos()) : timeoutNanos();
  }

  @Override
  void becameEmpty() {
    if (overloaded) {
      overloaded = false;
      modeSince = lastSeen;
    }
  }

  private void updateMode(long now) {
    lastSeen = now;
    if (isEmpty()) {
      return;
    }
    if (!overloaded) {
      if (now - busySince() >= INTERVAL_SECONDS * 1_000_000_000L && oldestWait(now) > targetNanos()
          && arrivingFasterInEverySlice(now)) {
        overloaded = true;
        modeSince = now;
      }
    } else if (arrivals.sum(now, 1, 1 + SLICES * SLICE_BUCKETS) <= departures.sum(now, 1, 1 + SLICES * SLICE_BUCKETS)) {
      overloaded = false;
      modeSince = now;
    }
  }

  /** More arrived than left in every half second of the interval, the bucket still filling left out. */
  private boolean arrivingFasterInEverySlice(long now) {
    for (int s = 0; s < SLICES; s++) {
      int from = 1 + s * SLICE_BUCKETS;
      long in = arrivals.sum(now, from, from + SLICE_BUCKETS);
      long out = departures.sum(now, from, from + SLICE_BUCKETS);
      if (in <= out * EXCESS || in == 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String discipline() {
    return "adaptive";
  }

  @Override
  public boolean overloaded() {
    return overloaded;
  }

  @Override
  public long modeSince() {
    return modeSince;
  }
}
