package io.sluice.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.FakeTime;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;

/** Readiness from recent outcomes, with a probe only after a quiet spell, on the fake clock. */
class ReadinessTest {

  private final FakeTime time = new FakeTime();
  private int probes;
  private Promise<Boolean> probe;
  private final Readiness readiness = new Readiness(time, () -> {
    probes++;
    probe = Promise.promise();
    return probe.future();
  });

  @Test
  void recentOutcomesAnswerWithoutAProbe() {
    readiness.up();
    for (int i = 0; i < 100; i++) {
      assertTrue(readiness.ready().result());
    }
    readiness.down();
    assertFalse(readiness.ready().result(), "the latest outcome wins");
    time.advanceMillis(200);
    readiness.up();
    assertTrue(readiness.ready().result());
    assertEquals(0, probes);
  }

  @Test
  void afterAQuietSpellOneProbeAnswersEveryCheckUntilItEnds() {
    readiness.up();
    time.advanceMillis(5000);
    Future<Boolean> first = readiness.ready();
    Future<Boolean> second = readiness.ready();
    assertEquals(1, probes);
    assertSame(first, second, "checks during a probe share it");
    assertFalse(first.isComplete());

    probe.complete(false);

    assertFalse(first.result());
    assertFalse(readiness.ready().result(), "the probe's outcome is recent now");
    assertEquals(1, probes);
  }

  @Test
  void aBackendIsProbedAtMostOncePerIntervalHoweverOftenItIsAsked() {
    Future<Boolean> r = readiness.ready();
    assertEquals(1, probes, "nothing known yet: a probe");
    probe.complete(true);
    assertTrue(r.result());
    for (int step = 0; step < 100; step++) {
      time.advanceMillis(100);
      readiness.ready();
    }
    assertEquals(2, probes, "10 s of checks every 100 ms: one more probe, when the first outcome grew old");
  }

  @Test
  void aBusyBackendCountsAsUp() {
    readiness.down();
    readiness.up();
    assertTrue(readiness.ready().result());
  }
}
