package io.sluice.history;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The queue waits of one second, for the history's p50 and p99: a histogram of the waits of the requests that left
 * the queue for a backend since the last {@link #roll}. (Requests that timed out in the queue are not in it; the
 * history counts them among the outcomes.)
 *
 * <p>Buckets are log-linear over microseconds: exact below 8 µs, then 8 buckets per power of two, so a percentile is
 * reported as its bucket's midpoint, within 6.25% of the true wait. 312 buckets cover waits up to 2^41 µs (25 days);
 * longer ones fall in the last. The memory is fixed: one {@link AtomicLongArray} and one scratch array.
 *
 * <p>{@link #record} is lock-free and called from every event loop as requests leave the queue; {@link #roll} and the
 * readers after it are called once a second from one thread, the history's recorder. A wait recorded during a roll
 * counts in this second or the next.
 */
public final class WaitWindow {

  private static final int SUB_BITS = 3;
  private static final int SUB = 1 << SUB_BITS;
  private static final int MAX_EXPONENT = 40;
  static final int BUCKETS = SUB + (MAX_EXPONENT - SUB_BITS + 1) * SUB;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final long[] taken = new long[BUCKETS];
  private long count;
  private double p50Millis = Double.NaN;
  private double p99Millis = Double.NaN;

  /** A request left the queue for a backend after waiting this long. */
  public void record(long nanos) {
    counts.incrementAndGet(bucket(Math.max(0, nanos) / 1000));
  }

  /** Takes the waits recorded since the last roll and computes their percentiles; the window starts empty again. */
  public void roll() {
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      taken[i] = counts.getAndSet(i, 0);
      total += taken[i];
    }
    count = total;
    p50Millis = percentile(0.50);
    p99Millis = percentile(0.99);
  }

  /** How many waits the last roll took. */
  public long count() {
    return count;
  }

  /** The median wait of the last roll, in milliseconds; NaN when no request left the queue. */
  public double p50Millis() {
    return p50Millis;
  }

  /** The 99th percentile wait of the last roll, in milliseconds; NaN when no request left the queue. */
  public double p99Millis() {
    return p99Millis;
  }

  /** The wait at or below which {@code q} of the taken waits lie: its bucket's midpoint, in milliseconds. */
  private double percentile(double q) {
    if (count == 0) {
      return Double.NaN;
    }
    long rank = Math.max(1, (long) Math.ceil(q * count));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += taken[i];
      if (seen >= rank) {
        return midpointMicros(i) / 1000.0;
      }
    }
    return midpointMicros(BUCKETS - 1) / 1000.0;
  }

  /** Below 8 µs a bucket per microsecond; above, the exponent picks a group of 8 and the next 3 bits the bucket. */
  static int bucket(long micros) {
    if (micros < SUB) {
      return (int) micros;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(micros);
    if (exponent > MAX_EXPONENT) {
      return BUCKETS - 1;
    }
    int sub = (int) (micros >>> (exponent - SUB_BITS)) & (SUB - 1);
    return SUB + (exponent - SUB_BITS) * SUB + sub;
  }

  /** The middle of the microseconds a bucket holds. */
  static double midpointMicros(int bucket) {
    if (bucket < SUB) {
      return bucket;
    }
    int exponent = (bucket - SUB) / SUB + SUB_BITS;
    int sub = (bucket - SUB) % SUB;
    long low = (long) (SUB + sub) << (exponent - SUB_BITS);
    long width = 1L << (exponent - SUB_BITS);
    return low + (width - 1) / 2.0;
  }
}
