package io.sluice.queue;

/**
 * Serve fast or refuse fast: a line that absorbs a burst whole, first in first out, like {@link FifoLine}, but under
 * sustained overload (as {@link WaiterDeque} tells it from a burst) keeps only what drains within its target wait,
 * serves the newest first and refuses the rest at once — adaptive LIFO with a controlled delay, as in Facebook's
 * "Fail at Scale".
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

  static final int STOCK_DIVISOR = 8;

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
    if (refusal != null || !overloaded()) {
      return refusal;
    }
    double stock = Math.max(2, departures.perSecond(nowNanos, 10) * targetNanos() / 1e9 / STOCK_DIVISOR);
    return depth() + 1 > stock ? Rejection.OVERLOADED : null;
  }

  @Override
  public void putBack(Waiter w) {
    if (overloaded()) {
      putBackAtTheBack(w);
    } else {
      super.putBack(w);
    }
  }

  @Override
  public Waiter next(long nowNanos) {
    updateMode(nowNanos);
    return overloaded() ? takeBack(nowNanos) : takeFront(nowNanos);
  }

  /** While not overloaded, as {@link FifoLine}: the front, or a request of {@code home} a little behind it. */
  @Override
  public Waiter nextFor(long nowNanos, Object home) {
    updateMode(nowNanos);
    return overloaded() ? takeBack(nowNanos) : takeFrontFor(nowNanos, home);
  }

  @Override
  long allowedWait() {
    return overloaded() ? Math.min(timeoutNanos(), targetNanos()) : timeoutNanos();
  }

  @Override
  public String discipline() {
    return "adaptive";
  }
}
