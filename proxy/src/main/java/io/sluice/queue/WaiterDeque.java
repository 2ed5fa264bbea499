package io.sluice.queue;

/**
 * What every waiting line shares: the deque of {@link Waiter}s with their arrival order (the front is the oldest,
 * or a connect retry that arrived before everyone behind it), expiry from the front, the bounds, and the record of
 * arrivals and departures that tells a burst from sustained overload.
 *
 * <p><b>Burst or sustained.</b> A spike arrives and stops; sustained overload keeps arriving faster than the backends
 * drain. While they arrive the two look alike — thousands of clients connecting take seconds to arrive, and on a
 * small machine the connecting itself slows the draining — so what tells them apart is how long the excess lasts.
 * The line is overloaded once, for an interval of a quarter of the queue timeout (at least
 * {@value #MIN_INTERVAL_SECONDS} s, at most {@value #MAX_INTERVAL_SECONDS} s), it has stayed non-empty and in every
 * half second more requests arrived than left (by {@value #EXCESS}). A spike whose arrival is over within that interval is absorbed whole however long it takes to drain (up to
 * the timeout); one that keeps arriving longer would leave much of itself past the timeout anyway. The overload ends
 * when as many leave as arrive over the interval, or when the line empties. What a line does while overloaded is its
 * discipline's; both refuse at once a newcomer whose predicted wait (the requests ahead of it over the drain rate of
 * the last ten seconds) exceeds the queue timeout, instead of answering it after the whole timeout.
 *
 * <p>Not thread-safe: guarded by the dispatcher's lock.
 */
abstract class WaiterDeque implements WaitingLine {

  /** How far behind the front a request of the loop that freed a slot is looked for. */
  static final int AFFINITY_SCAN = 128;
  /** How often a request may be overtaken by requests of the loop that freed a slot. */
  static final int MAX_OVERTAKEN = 64;
  static final int MIN_INTERVAL_SECONDS = 2;
  static final int MAX_INTERVAL_SECONDS = 10;
  static final double EXCESS = 1.05;
  private static final int SLICE_BUCKETS = 5;
  private static final int HISTORY_BUCKETS = 110;
  private static final long NEVER = Long.MIN_VALUE;

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
  private volatile boolean overloaded;
  private volatile long modeSince = NEVER;
  /** The latest time the line was told, for a change of mode noticed where no clock is at hand. */
  private long lastSeen;

  WaiterDeque(int maxDepth, long timeoutNanos, long targetNanos) {
    setMaxDepth(maxDepth);
    setTimeoutNanos(timeoutNanos);
    setTargetNanos(targetNanos);
  }

  /** The longest wait the line allows now: the timeout, or less under overload. */
  long allowedWait() {
    return timeoutNanos;
  }

  /** Counts the arrival; refuses it past the bound, or, under sustained overload, when it would surely time out. */
  @Override
  public Rejection admit(long nowNanos) {
    arrivals.record(nowNanos);
    updateMode(nowNanos);
    if (depth >= maxDepth) {
      return Rejection.QUEUE_FULL;
    }
    if (overloaded && (depth + 1) / Math.max(1, drainRate(nowNanos)) * 1e9 > timeoutNanos) {
      return Rejection.OVERLOADED;
    }
    return null;
  }

  /**
   * Departures per second over the last ten seconds of this busy period (or all of it, when shorter), the bucket
   * still filling left out: long enough that a backend pausing a second or two to restart does not make every
   * newcomer look hopeless.
   */
  double drainRate(long now) {
    int buckets = (int) Math.max(1, Math.min(HISTORY_BUCKETS - 1, (now - busySince) / DrainRate.BUCKET_NANOS));
    return departures.sum(now, 1, 1 + buckets) * 1e9 / (buckets * DrainRate.BUCKET_NANOS);
  }

  /** Enters or leaves sustained overload, as the class comment says. */
  void updateMode(long now) {
    lastSeen = now;
    if (head == null) {
      return;
    }
    int buckets = slices() * SLICE_BUCKETS;
    if (!overloaded) {
      if (now - busySince >= intervalNanos() && arrivingFasterInEverySlice(now)) {
        overloaded = true;
        modeSince = now;
      }
    } else if (arrivals.sum(now, 1, 1 + buckets) <= departures.sum(now, 1, 1 + buckets)) {
      overloaded = false;
      modeSince = now;
    }
  }

  /** A quarter of the queue timeout, between the least and the most interval. */
  private long intervalNanos() {
    return Math.max(MIN_INTERVAL_SECONDS * 1_000_000_000L,
        Math.min(MAX_INTERVAL_SECONDS * 1_000_000_000L, timeoutNanos / 4));
  }

  private int slices() {
    return (int) (intervalNanos() / (SLICE_BUCKETS * DrainRate.BUCKET_NANOS));
  }

  /** More arrived than left in every half second of the interval, the bucket still filling left out. */
  private boolean arrivingFasterInEverySlice(long now) {
    for (int s = 0; s < slices(); s++) {
      int from = 1 + s * SLICE_BUCKETS;
      long in = arrivals.sum(now, from, from + SLICE_BUCKETS);
      long out = departures.sum(now, from, from + SLICE_BUCKETS);
      if (in == 0 || in <= out * EXCESS) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean overloaded() {
    return overloaded;
  }

  @Override
  public long modeSince() {
    return modeSince;
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

  /**
   * Takes out the first request of {@code home} among the first {@value #AFFINITY_SCAN}, unless a request ahead of it
   * was already overtaken {@value #MAX_OVERTAKEN} times; else the front. A slot freed on one event loop then goes to a
   * request of that loop, which reuses the backend connection just freed there: without it, half the slots (with two
   * loops) would close an idle connection on one loop and open one on the other, which a backend that counts
   * connections (gevent) pays for dearly. The front stays the oldest, so expiry is unchanged.
   */
  Waiter takeFrontFor(long now, Object home) {
    Waiter w = head;
    for (int i = 0; w != null && i < AFFINITY_SCAN; i++, w = w.next) {
      if (w.home == home) {
        for (Waiter ahead = head; ahead != w; ahead = ahead.next) {
          ahead.overtaken++;
        }
        return take(w, now);
      }
      if (w.overtaken >= MAX_OVERTAKEN) {
        break;
      }
    }
    return takeFront(now);
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

  /** The line just emptied: an overload is over. */
  private void becameEmpty() {
    if (overloaded) {
      overloaded = false;
      modeSince = lastSeen;
    }
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
    timeoutNanos = positiveNanos("timeout", newTimeoutNanos);
  }

  @Override
  public long targetNanos() {
    return targetNanos;
  }

  @Override
  public void setTargetNanos(long newTargetNanos) {
    targetNanos = positiveNanos("target", newTargetNanos);
  }

  private static long positiveNanos(String name, long nanos) {
    if (nanos <= 0) {
      throw new IllegalArgumentException(name + ": " + nanos + "ns (expected: > 0)");
    }
    return nanos;
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
