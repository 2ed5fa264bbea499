package io.sluice.queue;

/**
 * First in, first out: served from the front, newcomers at the back, up to a bound. Since every waiter has the same
 * timeout, the front (or a retry put back there, which arrived before everyone behind it) is always the next to
 * expire. Not thread-safe: guarded by the dispatcher's lock.
 *
 * <p>One exception to the order, bounded: a slot freed by a request of one event loop goes to the first request of
 * that loop among the first {@value #AFFINITY_SCAN}, which reuses the connection just freed there, unless a request
 * ahead of it was already overtaken {@value #MAX_OVERTAKEN} times. Without it, half the slots (with two loops) would
 * close an idle connection on one loop and open one on the other, which a backend that counts connections (gevent)
 * pays for dearly. The front stays the oldest, so expiry is unchanged.
 */
public final class FifoLine implements WaitingLine {

  static final int AFFINITY_SCAN = 128;
  static final int MAX_OVERTAKEN = 64;

  private Waiter head;
  private Waiter tail;
  private volatile int depth;
  private volatile int peak;
  private volatile int maxDepth;
  private volatile long timeoutNanos;

  /**
   * @param maxDepth     most requests waiting at once ({@link Integer#MAX_VALUE} for no bound)
   * @param timeoutNanos longest wait
   */
  public FifoLine(int maxDepth, long timeoutNanos) {
    setMaxDepth(maxDepth);
    setTimeoutNanos(timeoutNanos);
  }

  @Override
  public boolean admits(long nowNanos) {
    return depth < maxDepth;
  }

  @Override
  public void add(Waiter w) {
    w.prev = tail;
    w.next = null;
    link(w);
  }

  @Override
  public void putBack(Waiter w) {
    w.prev = null;
    w.next = head;
    link(w);
  }

  @Override
  public Waiter next(long nowNanos) {
    Waiter w = head;
    if (w != null) {
      remove(w);
    }
    return w;
  }

  @Override
  public Waiter nextFor(long nowNanos, Object home) {
    Waiter w = head;
    for (int i = 0; w != null && i < AFFINITY_SCAN; i++, w = w.next) {
      if (w.home == home) {
        for (Waiter ahead = head; ahead != w; ahead = ahead.next) {
          ahead.overtaken++;
        }
        remove(w);
        return w;
      }
      if (w.overtaken >= MAX_OVERTAKEN) {
        break;
      }
    }
    return next(nowNanos);
  }

  @Override
  public void remove(Waiter w) {
    if (w.prev == null) {
      head = w.next;
    } else {
      w.prev.next = w.next;
    }
    if (w.next == null) {
      tail = w.prev;
    } else {
      w.next.prev = w.prev;
    }
    w.prev = null;
    w.next = null;
    w.waiting = false;
    depth = depth - 1;
  }

  @Override
  public Waiter expire(long nowNanos) {
    Waiter first = null;
    Waiter last = null;
    while (head != null && nowNanos - head.enqueuedAt >= timeoutNanos) {
      Waiter w = head;
      remove(w);
      if (last == null) {
        first = w;
      } else {
        last.next = w;
      }
      last = w;
    }
    return first;
  }

  @Override
  public Waiter removeAll() {
    Waiter all = head;
    for (Waiter w = head; w != null; w = w.next) {
      w.prev = null;
      w.waiting = false;
    }
    head = null;
    tail = null;
    depth = 0;
    return all;
  }

  @Override
  public boolean isEmpty() {
    return head == null;
  }

  @Override
  public long nextExpiry() {
    return head.enqueuedAt + timeoutNanos;
  }

  @Override
  public long oldestWait(long nowNanos) {
    return head == null ? 0 : nowNanos - head.enqueuedAt;
  }

  @Override
  public int depth() {
    return depth;
  }

  @Override
  public int peak() {
    return peak;
  }

  @Override
  public int maxDepth() {
    return maxDepth;
  }

  @Override
  public void setMaxDepth(int newMaxDepth) {
    if (newMaxDepth < 1) {
      throw new IllegalArgumentException("maxDepth: " + newMaxDepth + " (expected: >= 1)");
    }
    maxDepth = newMaxDepth;
  }

  @Override
  public long timeoutNanos() {
    return timeoutNanos;
  }

  @Override
  public void setTimeoutNanos(long newTimeoutNanos) {
    if (newTimeoutNanos <= 0) {
      throw new IllegalArgumentException("timeout: " + newTimeoutNanos + "ns (expected: > 0)");
    }
    timeoutNanos = newTimeoutNanos;
  }

  /** Links {@code w} between the neighbours it names, at either end. */
  private void link(Waiter w) {
    if (w.prev == null) {
      head = w;
    } else {
      w.prev.next = w;
    }
    if (w.next == null) {
      tail = w;
    } else {
      w.next.prev = w;
    }
    w.waiting = true;
    int d = depth + 1;
    depth = d;
    if (d > peak) {
      peak = d;
    }
  }
}
