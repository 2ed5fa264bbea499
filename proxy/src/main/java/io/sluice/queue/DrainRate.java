package io.sluice.queue;

/**
 * Events per second over a sliding window of 100 ms buckets — completions for the dispatcher, arrivals and departures
 * for a waiting line — and the {@code Retry-After} a completion rate predicts. Not thread-safe: used under the
 * dispatcher's lock.
 */
final class DrainRate {

  static final long BUCKET_NANOS = 100_000_000L;

  private final int[] counts;
  private long currentBucket;

  /** A window of one second. */
  DrainRate() {
    this(10);
  }

  /** @param buckets the window in buckets of 100 ms */
  DrainRate(int buckets) {
    counts = new int[buckets];
  }

  void record(long nowNanos) {
    advance(nowNanos);
    counts[(int) Math.floorMod(currentBucket, counts.length)]++;
  }

  /** Events per second over the whole window (the current bucket included). */
  double perSecond(long nowNanos) {
    return perSecond(nowNanos, counts.length);
  }

  /** Events per second over the last {@code buckets} buckets (the current one included). */
  double perSecond(long nowNanos, int buckets) {
    return sum(nowNanos, 0, buckets) * (1_000_000_000.0 / (BUCKET_NANOS * buckets));
  }

  /** Events in the buckets from {@code from} to {@code to} (exclusive) back from the current one (0). */
  long sum(long nowNanos, int from, int to) {
    advance(nowNanos);
    long sum = 0;
    for (int i = from; i < Math.min(to, counts.length); i++) {
      sum += counts[(int) Math.floorMod(currentBucket - i, counts.length)];
    }
    return sum;
  }

  /**
   * Seconds a refused client should wait: the time {@code waiting} requests (and one more) need to drain at the rate
   * of the last second, between 1 s and the queue timeout (at most an hour); the queue timeout, capped at 60 s,
   * when nothing drains.
   */
  int retryAfterSeconds(long nowNanos, int waiting, long timeoutNanos) {
    double rate = perSecond(nowNanos, Math.min(10, counts.length));
    long timeoutSeconds = Math.max(1, (timeoutNanos + 999_999_999L) / 1_000_000_000L);
    if (rate < 1) {
      return (int) Math.min(timeoutSeconds, 60);
    }
    long seconds = (long) Math.ceil((waiting + 1) / rate);
    return (int) Math.max(1, Math.min(seconds, Math.min(timeoutSeconds, 3600)));
  }

  private void advance(long nowNanos) {
    long bucket = Math.floorDiv(nowNanos, BUCKET_NANOS);
    if (bucket == currentBucket) {
      return;
    }
    long steps = Math.min(bucket - currentBucket, counts.length);
    for (long i = 1; i <= steps; i++) {
      counts[(int) Math.floorMod(currentBucket + i, counts.length)] = 0;
    }
    currentBucket = bucket;
  }
}
