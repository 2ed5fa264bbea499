package io.sluice.queue;

/**
 * First in, first out: served from the front, newcomers at the back, every one for up to the queue timeout — a
 * spike is absorbed whole. Under sustained overload a newcomer that would surely time out is refused at once
 * ({@link WaiterDeque}); the rest wait their turn. Not thread-safe: guarded by the dispatcher's lock.
 */
public final class FifoLine extends WaiterDeque {

  /**
   * @param maxDepth     most requests waiting at once ({@link Integer#MAX_VALUE} for no bound)
   * @param timeoutNanos longest wait
   */
  public FifoLine(int maxDepth, long timeoutNanos) {
    this(maxDepth, timeoutNanos, timeoutNanos);
  }

  /** @param targetNanos kept for a later change of discipline; unused here */
  public FifoLine(int maxDepth, long timeoutNanos, long targetNanos) {
    super(maxDepth, timeoutNanos, targetNanos);
  }

  @Override
  public Waiter next(long nowNanos) {
    return takeFront(nowNanos);
  }

  @Override
  public Waiter nextFor(long nowNanos, Object home) {
    return takeFrontFor(nowNanos, home);
  }

  @Override
  public String discipline() {
    return "fifo";
  }
}
