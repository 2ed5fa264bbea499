package io.sluice.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AdaptiveLimitTest {

  private static final long MS = 1_000_000L;

  /**
   * Feeds the limit what a prefork backend with {@code workers} workers of {@code serviceMs} each reports when
   * the limit is always in use: below the worker count a request takes the service time, above it it also waits
   * for (L - W) / W service times.
   */
  private static int settle(AdaptiveLimit limit, int workers, double serviceMs, int samples, long seed) {
    return settle(limit, workers, serviceMs, samples, seed, false);
  }

  /**
   * As above; with {@code visibleQueue}, the backend's accept queue (the L - W requests no worker has taken) is also
   * reported, every twentieth sample, as the kernel sampler would.
   */
  private static int settle(AdaptiveLimit limit, int workers, double serviceMs, int samples, long seed,
      boolean visibleQueue) {
    Random jitter = new Random(seed);
    long now = 0;
    for (int i = 0; i < samples; i++) {
      int l = limit.current();
      double rtt = serviceMs * Math.max(1.0, (double) l / workers) * (0.97 + 0.06 * jitter.nextDouble());
      now += (long) (serviceMs * MS / Math.min(l, workers));
      limit.onSample(now + (long) (rtt * MS), (long) (rtt * MS), l, l, 1, Outcome.SUCCESS);
      if (visibleQueue && i % 20 == 0) {
        limit.onBackendQueue(now, Math.max(0, limit.current() - workers), limit.current(), 1);
      }
    }
    return limit.current();
  }

  @Test
  void settlesAFewAboveTheWorkersOfASmallBackend() {
    int l = settle(new AdaptiveLimit(), 2, 5, 5_000, 1);
    assertTrue(l >= 3 && l <= 8, "limit " + l + " for 2 workers");
  }

  @Test
  void growsToTheWorkersOfALargeBackend() {
    int l = settle(new AdaptiveLimit(), 32, 20, 50_000, 2);
    assertTrue(l >= 33 && l <= 40, "limit " + l + " for 32 workers");
  }

  @Test
  void doesNotCreepUpUnderLongOverload() {
    AdaptiveLimit limit = new AdaptiveLimit();
    int first = settle(limit, 2, 5, 5_000, 3);
    int later = settle(limit, 2, 5, 200_000, 4);
    assertTrue(later <= first + 2, "limit went from " + first + " to " + later);
  }

  @Test
  void learnsNothingWhileMostlyIdle() {
    AdaptiveLimit limit = new AdaptiveLimit();
    for (int i = 0; i < 1000; i++) {
      limit.onSample(i * 10 * MS + 5 * MS, 5 * MS, 1, 1, 0, Outcome.SUCCESS);
    }
    assertEquals(AdaptiveLimit.INITIAL, limit.current());
  }

  @Test
  void aDropCutsTheLimit() {
    AdaptiveLimit limit = new AdaptiveLimit();
    settle(limit, 40, 5, 40_000, 5);
    int before = limit.current();
    limit.onSample(0, 0, before, before, 1, Outcome.OVERLOAD);
    assertEquals((int) (before * 0.9), limit.current());
    for (int i = 0; i < 100; i++) {
      limit.onSample(0, 0, 1, 1, 1, Outcome.OVERLOAD);
    }
    assertEquals(AdaptiveLimit.MIN, limit.current());
  }

  @Test
  void aVisibleBackendQueueHoldsTheLimitAFewAboveTheWorkers() {
    for (int workers : new int[] {2, 8, 32}) {
      AdaptiveLimit limit = new AdaptiveLimit();
      int l = settle(limit, workers, 5, 400_000, workers, true);
      assertTrue(l > workers && l <= workers + 5, "limit " + l + " for " + workers + " workers");
    }
  }

  @Test
  void aDeepBackendQueueBringsAHighLimitDown() {
    AdaptiveLimit limit = new AdaptiveLimit();
    settle(limit, 40, 5, 40_000, 6);
    int before = limit.current();
    for (int i = 0; i < 20; i++) {
      limit.onBackendQueue(0, 30, limit.current(), 1);
    }
    assertTrue(limit.current() < before - 10, before + " -> " + limit.current());
  }

  /**
   * A fast single-threaded backend (50 µs per request) seen through a noisy event loop: every round trip gets up to
   * half a millisecond of jitter. The limit must grow until the backend is busy, not shrink on noise.
   */
  @Test
  void jitterIsNotMistakenForAQueueAtAFastBackend() {
    AdaptiveLimit limit = new AdaptiveLimit();
    Random jitter = new Random(7);
    long now = 0;
    for (int i = 0; i < 200_000; i++) {
      int l = limit.current();
      double rttUs = 50.0 * l + 500 * jitter.nextDouble();
      now += 50_000;
      limit.onSample(now + (long) (rttUs * 1000), (long) (rttUs * 1000), l, l, 1, Outcome.SUCCESS);
    }
    assertTrue(limit.current() >= 16, "limit " + limit.current() + " for a fast backend");
  }
}
