package io.sluice.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WaitWindowTest {

  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  @Test
  void aSecondWithoutWaitsHasNoPercentiles() {
    WaitWindow w = new WaitWindow();
    w.roll();
    assertEquals(0, w.count());
    assertTrue(Double.isNaN(w.p50Millis()) && Double.isNaN(w.p99Millis()));
  }

  @Test
  void percentilesOfOneSecondWithinTheBucketError() {
    WaitWindow w = new WaitWindow();
    for (int i = 1; i <= 1000; i++) {
      w.record(i * MS);
    }
    w.roll();
    assertEquals(1000, w.count());
    assertEquals(500, w.p50Millis(), 500 * 0.0625);
    assertEquals(990, w.p99Millis(), 990 * 0.0625);
  }

  @Test
  void eachRollStartsAfresh() {
    WaitWindow w = new WaitWindow();
    w.record(3000 * MS);
    w.roll();
    assertEquals(3000, w.p99Millis(), 3000 * 0.0625);
    w.record(2 * MS);
    w.record(2 * MS);
    w.roll();
    assertEquals(2, w.count());
    assertEquals(2, w.p99Millis(), 2 * 0.0625, "the 3 s wait of the second before is gone");
    w.roll();
    assertTrue(Double.isNaN(w.p50Millis()));
  }

  @Test
  void everyBucketHoldsWaitsWithinOneSixteenthOfItsMidpoint() {
    int last = -1;
    for (long micros = 0; micros < (1L << 42); micros = micros < 64 ? micros + 1 : micros + micros / 7) {
      int b = WaitWindow.bucket(micros);
      assertTrue(b >= last, "buckets grow with the wait: " + micros);
      assertTrue(b < WaitWindow.BUCKETS);
      last = b;
      if (micros < (1L << 41)) {
        double mid = WaitWindow.midpointMicros(b);
        assertTrue(Math.abs(mid - micros) <= Math.max(0.5, micros / 16.0), micros + " µs in a bucket of " + mid);
      }
    }
    assertEquals(WaitWindow.BUCKETS - 1, WaitWindow.bucket(Long.MAX_VALUE / 1000));
    assertEquals(0, WaitWindow.bucket(0));
  }

  @Test
  void aNegativeWaitCountsAsNone() {
    WaitWindow w = new WaitWindow();
    w.record(-5);
    w.roll();
    assertEquals(0, w.p50Millis());
  }
}
