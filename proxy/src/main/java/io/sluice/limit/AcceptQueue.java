package io.sluice.limit;

/**
 * What a backend's accept queue has shown, reading by reading, for {@link AdaptiveLimit}: the depth it held over the
 * last two readings, whether the limit may grow on it, whether the backend has shown a real queue lately, and the most
 * requests it has been seen to hold at once while full.
 *
 * <p>Not thread-safe: the dispatcher calls the limit under its lock.
 */
final class AcceptQueue {

  /** A queue above this depth is a real one, which then decides. */
  static final double HIGH = 4;
  /** Connections a cut leaves waiting in a backend's queue that closes each one: a worker never idles between two. */
  static final int QUEUE_TARGET = 2;
  /** How long a backend that showed a real queue keeps its queue deciding after the last reading above 0. */
  static final int MEMORY_SECONDS = 30;
  /**
   * The most readings of an empty queue a growth waits for, after growths that a cut undid: 16 s, within the
   * {@value #MEMORY_SECONDS} s an empty queue keeps deciding.
   */
  static final int MAX_GROWTH_WAIT = 64;
  private static final long SECOND = 1_000_000_000L;

  private double average;
  private int last;
  private int beforeLast;
  private int emptyReadings;
  /** Readings of an empty queue a growth waits for: 2, doubled by each growth that a cut undid. */
  private int growthWait = 2;
  /** The limit before the last growth, while no cut or growth has followed it; else 0. */
  private int grownFrom;
  private long seenAt;
  private boolean seen;
  private int holding;
  private int accepted;
  private int acceptedBefore;
  /**
   * The most requests the backend held at once while connections waited in its accept queue (in flight and not in
   * the queue, on two readings in a row), within its last {@value #MEMORY_SECONDS} s or so with connections waiting:
   * what it has shown it takes when full. Time without a queue does not count, so it holds from one spike to the
   * next; a backend that takes fewer now (a reload with fewer workers) shows it within that time of queueing.
   */
  private int shown;
  /** How long connections have waited in the queue since the backend last held {@link #shown}. */
  private long shownAge;
  private long readAt;
  private boolean everRead;

  /**
   * Takes a reading of {@code depth} connections waiting to be accepted while the backend holds {@code holding} of
   * Sluice's requests (of a backend that keeps connections, its connections), those waiting included.
   *
   * @param limiting whether the limit holds requests back: some wait in Sluice's queue, or every slot is taken
   */
  void read(long nowNanos, int depth, int holding, boolean limiting) {
    average = (average + depth) / 2;
    beforeLast = last;
    last = depth;
    // An empty queue shows that the limit holds back no more than the backend takes only while it holds some back:
    // an idle spell would otherwise let the first reading of the next spike grow the limit.
    emptyReadings = depth == 0 && limiting ? emptyReadings + 1 : 0;
    this.holding = holding;
    acceptedBefore = accepted;
    accepted = Math.max(0, holding - depth);
    // Only while connections wait to be accepted is the backend full: a backend that accepts eagerly (gthread) holds
    // whatever it is given, and would show the limit itself.
    if (held() > 0) {
      int full = Math.min(accepted, acceptedBefore);
      // Only time under load ages it: a backend idle between two spikes (or serving below its capacity) shows nothing
      // new about what it takes, and a spike that starts on a backend short of CPU would otherwise be cut from the
      // first readings, before it catches up.
      shownAge += Math.min(nowNanos - readAt, SECOND);
      if (full >= shown || shownAge >= MEMORY_SECONDS * SECOND) {
        shown = full;
        shownAge = 0;
      }
    }
    readAt = nowNanos;
    everRead = true;
    // One reading is not a real queue: an async worker short of CPU accepts a burst of new connections late.
    if (depth > 0 && (decides(nowNanos) || (average > HIGH && beforeLast > 0))) {
      seen = true;
      seenAt = nowNanos;
    }
  }

  /**
   * The limit the readings so far ask for, given the limit now: less (a cut), more (a growth) or the same.
   *
   * <p>With depth d and h of Sluice's requests at the backend ({@link #read}: of a backend that keeps connections, its
   * open connections, since one between two calls holds its slot too), {@code h - d} workers are busy. A queue that
   * holds more than {@value #HIGH} on two readings in a row (d the lesser of them) sets the limit to
   * {@code h - d + }{@value #QUEUE_TARGET} (a couple waiting, so no worker idles between requests; none for a backend
   * that keeps Sluice's connections alive, which takes a queued connection only when another closes — gunicorn gevent,
   * measured: p99 155-163 ms at 202 against 107-115 ms at its 200), whether or not requests wait in Sluice's queue,
   * once the requests let in under a higher limit have left; one reading is not enough, since an async worker starved
   * of CPU in a spike accepts late and fills the queue for a moment below its capacity. Nor is a cut ever below what
   * the backend has shown it takes ({@link #shown}): an async backend short of CPU keeps a queue however few it holds,
   * and each cut would only idle more of its connections.
   *
   * <p>An empty queue while the limit binds grows it by a quarter (a sixteenth for a backend that keeps connections:
   * the surplus waits in its queue until the next cut), once the queue decides and has been empty long enough, the
   * limit binding on every one of those readings ({@link #mayGrow}).
   *
   * @param inflight requests in flight now
   * @param limiting whether the limit holds requests back: some wait in Sluice's queue, or every slot is taken
   */
  int wanted(long nowNanos, int limit, int inflight, boolean limiting, boolean connectionsKept) {
    int held = held();
    // While more are in flight than the limit, requests let in under a higher one still fill the queue: a cut now
    // would count them twice. A cut needs no demand beyond the limit (those held would wait in Sluice's queue
    // instead), but then only a queue that Sluice's own requests could make: the backend may have other clients.
    if (held > HIGH && inflight <= limit && (limiting || held < inflight)) {
      int to = Math.max(AdaptiveLimit.MIN, Math.max(holding - held, shown) + (connectionsKept ? 0 : QUEUE_TARGET));
      if (to < limit) {
        cut(to);
        return to;
      }
    } else if (limiting && mayGrow(nowNanos) && limit < AdaptiveLimit.MAX) {
      grew(limit);
      return Math.min(AdaptiveLimit.MAX, limit + Math.max(1, limit / (connectionsKept ? 16 : 4)));
    }
    return limit;
  }

  /**
   * Whether connections may still be waiting for the backend to take them, as far as the readings tell: the kernel
   * shows this backend's queue, and no reading has been taken since {@code sinceNanos} yet, or the last one showed
   * more than {@value #HIGH}.
   */
  boolean waitingSince(long sinceNanos) {
    return everRead && (readAt - sinceNanos < 0 || last > HIGH);
  }

  /** The lesser of the last two readings: the queue that stayed. */
  private int held() {
    return Math.min(last, beforeLast);
  }

  /**
   * Whether the limit may grow: the queue decides, and has been empty for two readings in a row, or longer after
   * growths that a cut undid ({@link #cut}).
   */
  private boolean mayGrow(long nowNanos) {
    return emptyReadings >= growthWait && decides(nowNanos);
  }

  /** The limit grew from {@code from} on an empty queue. */
  private void grew(int from) {
    if (grownFrom > 0) {
      // The last growth stood: the backend took more.
      growthWait = 2;
    }
    grownFrom = from;
  }

  /** The queue cut the limit to {@code to}. */
  private void cut(int to) {
    if (to <= grownFrom) {
      // The growth found nothing: the queue was empty because the limit sat just below what the backend takes.
      growthWait = Math.min(MAX_GROWTH_WAIT, 2 * growthWait);
    }
    grownFrom = 0;
  }

  /**
   * Whether the backend has shown a real queue lately: the smoothed depth above {@value #HIGH}, with connections
   * waiting on two readings in a row.
   */
  boolean decides(long nowNanos) {
    return seen && nowNanos - seenAt < MEMORY_SECONDS * SECOND;
  }
}
