package io.sluice.queue;

/**
 * Requests completed per second over the last second, in ten buckets of 100 ms, and the {@code Retry-After} it
 * predicts. Not thread-safe: the dispatcher calls it under its lock.
 */
final class DrainRate {

  private static final long BUCKET_NANOS = 100_000_000L;
  private static final int BUCKETS = 10;

  private final int[] counts = new int[BUCKETS];
  private long currentBucket;

  void record(long nowNanos) {
    advance(nowNanos);
    counts[(int) (currentBucket % BUCKETS)]++;
  }

  /** Completions per second, averaged over the last {@code BUCKETS} buckets (the current one included). */
  double perSecond(long nowNanos) {
    advance(nowNanos);
    long sum = 0;
    for (int c : counts) {
      sum += c;
    }
    return sum * (1_000_000_000.0 / (BUCKET_NANOS * BUCKETS));
  }

  /**
   * Seconds a refused client should wait: the time {@code waiting} requests (and one more) need to drain at the rate
   * of the last second, between 1 s and the queue timeout (at most an hour); the queue timeout, capped at 60 s,
   * when nothing drains.
   */
  int retryAfterSeconds(long nowNanos, int waiting, long timeoutNanos) {
    double rate = perSecond(nowNanos);
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
    long steps = Math.min(bucket - currentBucket, BUCKETS);
    for (long i = 1; i <= steps; i++) {
      counts[(int) Math.floorMod(currentBucket + i, BUCKETS)] = 0;
    }
    currentBucket = bucket;
  }
}
