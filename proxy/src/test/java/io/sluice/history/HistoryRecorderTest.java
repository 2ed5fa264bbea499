package io.sluice.history;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.kernel.KernelQueue;
import io.sluice.status.Status;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HistoryRecorderTest {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
  private static final long T0 = 1_764_540_000_000L;

  /** What a test changes between two snapshots of one backend "app" behind one listener. */
  private static final class Snap {
    int depth;
    double drain;
    long received;
    long served;
    long queueFull;
    String setting = "auto";
    int limit = 2;
    int inflight;
    boolean paused;
    KernelQueue backendQueue = new KernelQueue.Known(1, 0, 100);
    Status.LimitDecision lastDecision;
    List<Status.LimitChange> changes = List.of();

    Status status() {
      Map<String, Long> outcomes = new LinkedHashMap<>();
      outcomes.put("served", served);
      outcomes.put("queue_full", queueFull);
      return new Status(
          List.of(new Status.Listener("127.0.0.1:8080", "max", 4096, 4096, new KernelQueue.Known(2, 5, 4096))),
          new Status.Queue(depth, depth, "max", 19000, 60000, 1500, drain),
          List.of(new Status.Backend("app", "unix:/run/app.sock", "uwsgi", setting, limit, inflight, paused,
              backendQueue, lastDecision, changes, new Status.Connections(0, 0), Map.of())),
          new Status.Totals(received, outcomes), new Status.Fds(1024, 4096, 42));
    }
  }

  private final Snap snap = new Snap();
  private final History history = History.shapedLike(snap.status());
  private final WaitWindow waits = new WaitWindow();
  private final HistoryRecorder recorder = new HistoryRecorder(history, waits);
  private int seconds;

  private void tick(long elapsedNanos) {
    seconds++;
    recorder.sample(snap.status(), T0 + seconds * 1000L, seconds * elapsedNanos);
  }

  @Test
  void aPointHoldsTheSnapshotAndTheRatesSinceThePreviousOne() {
    snap.depth = 5;
    snap.drain = 12.5;
    snap.received = 100;
    snap.served = 90;
    snap.inflight = 2;
    tick(2 * SECOND);
    snap.depth = 1500;
    snap.received = 2100;
    snap.served = 110;
    snap.queueFull = 4;
    snap.backendQueue = new KernelQueue.Unknown("no listener");
    waits.record(TimeUnit.MILLISECONDS.toNanos(800));
    tick(2 * SECOND);

    History.View v = history.view();
    assertArrayEquals(new long[] {T0 + 1000, T0 + 2000}, v.t());
    assertArrayEquals(new int[] {5, 1500}, v.depth());
    assertEquals(12.5f, v.drainPerSecond()[0]);
    assertTrue(Float.isNaN(v.receivedPerSecond()[0]), "no rate before a second point");
    assertEquals(1000f, v.receivedPerSecond()[1], "2000 received over 2 s");
    assertEquals(List.of("served", "queue_full"), v.outcomes());
    assertEquals(10f, v.outcomesPerSecond()[0][1]);
    assertEquals(2f, v.outcomesPerSecond()[1][1]);
    assertTrue(Float.isNaN(v.waitP50Millis()[0]), "nothing left the queue in the first second");
    assertEquals(800, v.waitP99Millis()[1], 800 * 0.0625);
    assertEquals(1500f, v.oldestWaitMillis()[1]);
    assertArrayEquals(new int[] {2, 2}, v.limit()[0]);
    assertArrayEquals(new int[] {2, 2}, v.inflight()[0]);
    assertArrayEquals(new int[] {0, -1}, v.backendKernelQueue()[0], "-1: the kernel did not say");
    assertArrayEquals(new int[] {5, 5}, v.listenerKernelQueue()[0]);
    assertEquals(List.of(), v.events());
  }

  @Test
  void limitMovesBetweenTwoPointsAreOneEventWithTheirCount() {
    tick(SECOND);
    snap.limit = 8;
    snap.lastDecision = new Status.LimitDecision("up", "slow_start", 4, 8, 100);
    snap.changes = List.of(new Status.LimitChange("up", "slow_start", 3));
    tick(SECOND);
    tick(SECOND);
    snap.limit = 6;
    snap.lastDecision = new Status.LimitDecision("down", "backend_queue", 8, 6, 10);
    snap.changes = List.of(new Status.LimitChange("up", "slow_start", 3),
        new Status.LimitChange("down", "backend_queue", 1));
    tick(SECOND);

    List<History.Event> events = history.view().events();
    assertEquals(List.of(new History.Event(T0 + 2000, "limit", "app", "\u2191 8 slow_start (3 moves)", 3),
        new History.Event(T0 + 4000, "limit", "app", "\u2193 6 backend_queue", 1)), events);
  }

  @Test
  void aLimitSetOverTheApiIsAnEvent() {
    tick(SECOND);
    snap.setting = "4";
    snap.limit = 4;
    tick(SECOND);
    tick(SECOND);
    assertEquals(List.of(new History.Event(T0 + 2000, "limit", "app", "set to 4", 1)), history.view().events());
  }

  @Test
  void aBackendGoingIntoBackoffAndOutOfItIsMarked() {
    tick(SECOND);
    snap.paused = true;
    tick(SECOND);
    tick(SECOND);
    snap.paused = false;
    tick(SECOND);
    assertEquals(List.of("down@" + (T0 + 2000), "up@" + (T0 + 4000)),
        history.view().events().stream().map(e -> e.kind() + "@" + e.t()).toList());
  }

  @Test
  void theQueueModeHookMarksEachChangeAfterTheFirstReading() {
    String[] mode = {"normal"};
    HistoryRecorder withMode = new HistoryRecorder(history, waits, s -> mode[0]);
    withMode.sample(snap.status(), T0 + 1000, SECOND);
    withMode.sample(snap.status(), T0 + 2000, 2 * SECOND);
    mode[0] = "overloaded";
    withMode.sample(snap.status(), T0 + 3000, 3 * SECOND);
    mode[0] = "normal";
    withMode.sample(snap.status(), T0 + 4000, 4 * SECOND);
    assertEquals(List.of(new History.Event(T0 + 3000, "mode", null, "queue overloaded", 1),
        new History.Event(T0 + 4000, "mode", null, "queue normal", 1)), history.view().events());
  }

  @Test
  void aTimerCatchingUpAddsNoPointOfItsOwn() {
    snap.served = 0;
    recorder.sample(snap.status(), T0 + 1000, SECOND);
    snap.served = 10;
    recorder.sample(snap.status(), T0 + 3000, 3 * SECOND);
    snap.served = 11;
    recorder.sample(snap.status(), T0 + 3001, 3 * SECOND + 1_000_000);
    recorder.sample(snap.status(), T0 + 4000, 4 * SECOND);
    History.View v = history.view();
    assertArrayEquals(new long[] {T0 + 1000, T0 + 3000, T0 + 4000}, v.t());
    assertEquals(5f, v.outcomesPerSecond()[0][1], "10 over the 2 s the late timer took");
    assertEquals(1f, v.outcomesPerSecond()[0][2]);
  }

  @Test
  void fifteenMinutesAndMoreStayInTheSameArrays() {
    for (int i = 0; i < History.CAPACITY + 100; i++) {
      snap.depth = i;
      tick(SECOND);
    }
    History.View v = history.view();
    assertEquals(History.CAPACITY, v.points());
    assertEquals(100, v.depth()[0]);
    assertEquals(History.CAPACITY + 99, v.depth()[History.CAPACITY - 1]);
    assertEquals(v.t()[0] + (History.CAPACITY - 1) * History.STEP_MILLIS, v.t()[History.CAPACITY - 1]);
  }
}
