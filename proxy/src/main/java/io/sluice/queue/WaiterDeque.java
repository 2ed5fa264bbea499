package io.sluice.queue;

/**
 * What every waiting line shares: the deque of {@link Waiter}s with their arrival order (the front is the oldest,
 * or a connect retry that arrived before everyone behind it), expiry from the front, the bounds, and a record of
 * arrivals and departures from which the line's drain rate is known.
 *
 * <p><b>Refusing early.</b> Once the line has stayed non-empty for {@value #KNOWN_AFTER_SECONDS} s (every backend
 * busy, so departures measure what the backends can take), a newcomer whose predicted wait — the requests ahead of it
 * over the drain rate — already exceeds the queue timeout is refused at once ({@link Rejection#OVERLOADED}) instead of
 * after waiting the whole timeout. The rate is the best second of the last ten of that busy period, so a backend
 * that pauses to restart does not make every newcomer look hopeless.
 *
 * <p>Not thread-safe: guarded by the dispatcher's lock.
 */
abstract class WaiterDeque implements WaitingLine {

  static final int KNOWN_AFTER_SECONDS = 2;
  private static final int SECOND_BUCKETS = 10;
  private static final int HISTORY_BUCKETS = 100;

  private Waiter head;
  private Waiter tail;
  private volatile int depth;
  private volatile int peak;
  private volatile int maxDepth;
  private volatile long timeoutNanos;
  private volatile long targetNanos;
  /** Offered newcomers, admitted or not. */
  final DrainRate arrivals = new DrainRate(HISTORY_BUCKETS);
  /** Requests taken out to be served. */
  final DrainRate departures = new DrainRate(HISTORY_BUCKETS);
  private boolean busy;
  private long busySince;

  WaiterDeque(int maxDepth, long timeoutNanos, long targetNanos) {
    setMaxDepth(maxDepth);
    setTimeoutNanos(timeoutNanos);
    setTargetNanos(targetNanos);
  }

  /** The longest wait the line allows now: the timeout, or less under overload. */
  long allowedWait() {
    return timeoutNanos;
  }

  /** Counts the arrival; refuses it past the bound or when it would surely time out. */
  @Override
  public Rejection admit(long nowNanos) {
    arrivals.record(nowNanos);
    if (depth >= maxDepth) {
      return Rejection.QUEUE_FULL;
    }
    double rate = knownDrainRate(nowNanos);
    if (rate > 0 && (depth + 1) / rate * 1e9 > timeoutNanos) {
      return Rejection.OVERLOADED;
    }
    return null;
  }

  /**
   * Departures per second the backends sustain, once the line has been busy long enough to tell: the best second of
   * the last ten of this busy period; 0 while unknown.
   */
  double knownDrainRate(long now) {
    if (!busy || now - busySince < KNOWN_AFTER_SECONDS * 1_000_000_000L) {
      return 0;
    }
    int seconds = (int) Math.min(HISTORY_BUCKETS / SECOND_BUCKETS,
        (now - busySince) / (SECOND_BUCKETS * DrainRate.BUCKET_NANOS));
    long best = 0;
    for (int s = 0; s < seconds; s++) {
      // Whole seconds before the current bucket, which is still filling.
      best = Math.max(best, departures.sum(now, 1 + s * SECOND_BUCKETS, 1 + (s + 1) * SECOND_BUCKETS));
    }
    return best;
  }

  /** Since when the line has stayed non-empty; meaningful while {@link #isEmpty} is false. */
  long busySince() {
    return busySince;
  }

  @Override
  public void add(Waiter w) {
    w.prev = tail;
    w.next = null;
    link(w, w.enqueuedAt);
  }

  @Override
  public void putBack(Waiter w) {
    w.prev = null;
    w.next = head;
    link(w, w.enqueuedAt);
  }

  /** Puts a connect retry at the back, where a newest-first line serves next. */
  void putBackAtTheBack(Waiter w) {
    add(w);
  }

  /** Takes out the front: the oldest. */
  Waiter takeFront(long now) {
    return take(head, now);
  }

  /** Takes out the back: the newest. */
  Waiter takeBack(long now) {
    return take(tail, now);
  }

  private Waiter take(Waiter w, long now) {
    if (w != null) {
      remove(w);
      departures.record(now);
    }
    return w;
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
    if (head == null) {
      busy = false;
      becameEmpty();
    }
  }

  /** The line just emptied. */
  void becameEmpty() {
  }

  @Override
  public Waiter expire(long nowNanos) {
    Waiter first = null;
    Waiter last = null;
    long allowed = allowedWait();
    while (head != null && nowNanos - head.enqueuedAt >= allowed) {
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
    busy = false;
    becameEmpty();
    return all;
  }

  @Override
  public void takeOver(WaitingLine previous) {
    long since = previous instanceof WaiterDeque d && d.busy ? d.busySince : Long.MIN_VALUE;
    int previousPeak = previous.peak();
    for (Waiter w = previous.removeAll(); w != null; ) {
      Waiter next = w.next;
      add(w);
      w = next;
    }
    if (since != Long.MIN_VALUE) {
      busySince = since;
    }
    peak = Math.max(peak, previousPeak);
  }

  @Override
  public boolean isEmpty() {
    return head == null;
  }

  @Override
  public long nextExpiry() {
    return head.enqueuedAt + allowedWait();
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

  @Override
  public long targetNanos() {
    return targetNanos;
  }

  @Override
  public void setTargetNanos(long newTargetNanos) {
    if (newTargetNanos <= 0) {
      throw new IllegalArgumentException("target: " + newTargetNanos + "ns (expected: > 0)");
    }
    targetNanos = newTargetNanos;
  }

  /** Links {@code w} between the neighbours it names, at either end. */
  private void link(Waiter w, long now) {
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
    if (!busy) {
      busy = true;
      busySince = now;
    }
    int d = depth + 1;
    depth = d;
    if (d > peak) {
      peak = d;
    }
  }
}
