package io.sluice.queue;

/**
 * Requests completed per second over the last second, in ten buckets of 100 ms. Not thread-safe: the dispatcher
 * calls it under its lock.
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
