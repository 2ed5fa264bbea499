package io.sluice.limit;

/**
 * {@code limit: auto} — finds how many requests keep a backend's workers busy without piling up inside it.
 *
 * <p>Model: a prefork backend (uWSGI, gunicorn sync) with W workers each taking S per request. With L requests in
 * flight and L &gt; W, L − W of them wait in the backend's accept queue and the mean round trip grows to S·L/W.
 * So the number waiting inside the backend is estimated, as in TCP Vegas, by
 * <pre>
 *   queued = L · (1 − (rttBase + τ) / rttMean)
 * </pre>
 * where {@code rttMean} is the mean round trip over a window of max(L, 8) samples and {@code rttBase} is the least
 * single round trip of the last ten minutes (a request that found a worker idle: about S). The long memory matters:
 * under steady overload every request waits, so a short memory would take the inflated round trip for the base
 * and let the limit creep up. τ = 1 ms is the tolerance for noise: for a backend that answers in a tenth of a
 * millisecond, scheduling and garbage collection alone add more than its whole round trip, and without τ that
 * noise would read as a queue and starve it; for an app taking milliseconds it changes little. After each window:
 * {@code queued < 2} → L + 1 (workers may be idle between requests); {@code queued > 4} → L − 1. A few requests
 * waiting inside the backend cost nothing — they would otherwise wait in Sluice's queue — while too few leave
 * workers idle for a round trip after each response.
 *
 * <p>Where the kernel shows the backend's own accept queue (a local prefork backend), that queue is what the
 * estimate above guesses at, so it is heeded directly: its depth, smoothed over samples ({@code d = (d + depth) / 2}),
 * steps the limit down while it is above 4, and the limit does not grow while it is above 2. A backend that keeps
 * its connections open (threads reading requests off idle connections) shows no accept queue, and the round trips
 * alone decide.
 *
 * <p>The limit moves only while it is what holds requests back (at least half of it in use), so an idle period
 * teaches it nothing. A dropped request (the backend's queue overflowed, or it timed out) cuts it to 90%.
 *
 * <p>Not thread-safe: the dispatcher calls it under its lock.
 */
public final class AdaptiveLimit implements Limit {

  static final int INITIAL = 4;
  static final int MIN = 1;
  static final int MAX = 1000;
  static final double ALPHA = 2;
  static final double BETA = 4;
  private static final int MIN_WINDOW = 8;
  static final long TOLERANCE_NANOS = 1_000_000L;
  private static final long BASE_BUCKET_NANOS = 10_000_000_000L;
  private static final int BASE_BUCKETS = 60;

  private final LimitListener listener;
  private int limit = INITIAL;
  private long windowSum;
  private int windowCount;
  private final long[] baseMin = new long[BASE_BUCKETS];
  private long baseBucket = Long.MIN_VALUE;
  private double backendQueue;

  public AdaptiveLimit() {
    this(LimitListener.NONE);
  }

  /** @param listener told of every move, under the dispatcher's lock */
  public AdaptiveLimit(LimitListener listener) {
    this.listener = java.util.Objects.requireNonNull(listener, "listener");
  }

  @Override
  public int current() {
    return limit;
  }

  @Override
  public String setting() {
    return "auto";
  }

  @Override
  public void onSample(long nowNanos, long rttNanos, int inflightAtStart, int inflightNow, int waiting,
      Outcome outcome) {
    if (outcome == Outcome.IGNORED) {
      return;
    }
    long startNanos = nowNanos - rttNanos;
    int inflight = inflightAtStart;
    if (outcome != Outcome.SUCCESS) {
      limit = Math.max(MIN, (int) (limit * 0.9));
      windowSum = 0;
      windowCount = 0;
      return;
    }
    if (rttNanos <= 0) {
      return;
    }
    recordBase(startNanos, rttNanos);
    if (inflight * 2 < limit) {
      return;
    }
    windowSum += rttNanos;
    windowCount++;
    if (windowCount < Math.max(limit, MIN_WINDOW)) {
      return;
    }
    double mean = (double) windowSum / windowCount;
    windowSum = 0;
    windowCount = 0;
    double queued = limit * (1 - (base() + TOLERANCE_NANOS) / mean);
    if (queued < ALPHA && backendQueue <= ALPHA) {
      limit = Math.min(MAX, limit + 1);
    } else if (queued > BETA) {
      limit = Math.max(MIN, limit - 1);
    }
  }

  @Override
  public void onBackendQueue(long nowNanos, int depth, int inflight, int waiting) {
    backendQueue = (backendQueue + depth) / 2;
    if (backendQueue > BETA) {
      limit = Math.max(MIN, limit - 1);
    }
  }

  /** Keeps the least round trip per ten-second bucket, for the last sixty buckets. */
  private void recordBase(long nowNanos, long rttNanos) {
    long bucket = Math.floorDiv(nowNanos, BASE_BUCKET_NANOS);
    if (baseBucket == Long.MIN_VALUE) {
      baseBucket = bucket;
      java.util.Arrays.fill(baseMin, Long.MAX_VALUE);
    }
    if (bucket != baseBucket) {
      long steps = Math.min(bucket - baseBucket, BASE_BUCKETS);
      for (long i = 1; i <= steps; i++) {
        baseMin[(int) Math.floorMod(baseBucket + i, BASE_BUCKETS)] = Long.MAX_VALUE;
      }
      baseBucket = bucket;
    }
    int i = (int) Math.floorMod(bucket, BASE_BUCKETS);
    if (rttNanos < baseMin[i]) {
      baseMin[i] = rttNanos;
    }
  }

  private double base() {
    long min = Long.MAX_VALUE;
    for (long m : baseMin) {
      min = Math.min(min, m);
    }
    return min;
  }

  @Override
  public String toString() {
    return "AdaptiveLimit[" + limit + "]";
  }
}
