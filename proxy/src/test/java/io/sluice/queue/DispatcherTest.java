package io.sluice.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.limit.FixedLimit;
import io.sluice.limit.Outcome;
import io.sluice.testing.FakeTime;
import io.sluice.testing.RecordingLimit;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DispatcherTest {

  private static final long SECOND = 1_000_000_000L;

  private final FakeTime time = new FakeTime();

  private final List<Lane> lanes = new ArrayList<>();

  private Dispatcher dispatcher(int maxDepth, long timeoutNanos, int... limits) {
    for (int n : limits) {
      lanes.add(new Lane(lanes.size(), new FixedLimit(n)));
    }
    return new Dispatcher(lanes, new FifoLine(maxDepth, timeoutNanos), time, time);
  }

  private static List<RecordingTicket> tickets(int n) {
    return IntStream.range(0, n).mapToObj(i -> new RecordingTicket("t" + i)).toList();
  }

  @Test
  void grantsAtOnceWhileThereIsRoomThenQueuesInOrder() {
    Dispatcher d = dispatcher(100, 10 * SECOND, 2);
    List<RecordingTicket> t = tickets(5);
    t.forEach(x -> x.enqueue(d));

    assertNotNull(t.get(0).permit);
    assertNotNull(t.get(1).permit);
    assertNull(t.get(2).permit);
    assertEquals(3, d.depth());

    t.get(1).permit.release(Outcome.SUCCESS);
    assertNotNull(t.get(2).permit, "the head of the queue goes first");
    assertNull(t.get(3).permit);
    t.get(0).permit.release(Outcome.SUCCESS);
    assertNotNull(t.get(3).permit);
    assertEquals(1, d.depth());
    assertEquals(3, d.peak());
  }

  @Test
  void aPermitIsReleasedOnlyOnce() {
    Dispatcher d = dispatcher(100, 10 * SECOND, 1);
    List<RecordingTicket> t = tickets(3);
    t.forEach(x -> x.enqueue(d));
    t.get(0).permit.release(Outcome.SUCCESS);
    t.get(0).permit.release(Outcome.SUCCESS);
    t.get(0).permit.retryLater(true);
    assertNotNull(t.get(1).permit);
    assertNull(t.get(2).permit, "a second release must not free a second slot");
    assertEquals(1, d.snapshot().backends().get(0).inflight());
  }

  @Test
  void choosesTheBackendWithTheFewestInFlight() {
    Dispatcher d = dispatcher(100, 10 * SECOND, 3, 3);
    List<RecordingTicket> t = tickets(4);
    t.forEach(x -> x.enqueue(d));
    assertEquals(List.of(0, 1, 0, 1), t.stream().map(x -> x.permit.backend()).toList());
    t.get(0).permit.release(Outcome.SUCCESS);
    t.get(2).permit.release(Outcome.SUCCESS);
    RecordingTicket next = new RecordingTicket("next");
    next.enqueue(d);
    assertEquals(0, next.permit.backend(), "backend 0 now has none in flight, backend 1 has two");
  }

  @Test
  void aFullBackendIsSkipped() {
    Dispatcher d = dispatcher(100, 10 * SECOND, 1, 5);
    List<RecordingTicket> t = tickets(4);
    t.forEach(x -> x.enqueue(d));
    assertEquals(List.of(0, 1, 1, 1), t.stream().map(x -> x.permit.backend()).toList());
  }

  @Test
  void aFullQueueRefusesNewcomersAndKeepsItsWaiters() {
    Dispatcher d = dispatcher(2, 10 * SECOND, 1);
    List<RecordingTicket> t = tickets(4);
    t.forEach(x -> x.enqueue(d));
    assertNotNull(t.get(0).permit);
    assertNull(t.get(1).rejection);
    assertNull(t.get(2).rejection);
    assertEquals(Rejection.QUEUE_FULL, t.get(3).rejection);
    assertTrue(t.get(3).retryAfter >= 1);
    assertEquals(2, d.depth());
  }

  @Test
  void loweringTheBoundShedsNothingAlreadyQueued() {
    Dispatcher d = dispatcher(10, 10 * SECOND, 1);
    List<RecordingTicket> t = tickets(5);
    t.forEach(x -> x.enqueue(d));
    d.setMaxDepth(2);
    assertEquals(4, d.depth());
    RecordingTicket late = new RecordingTicket("late");
    late.enqueue(d);
    assertEquals(Rejection.QUEUE_FULL, late.rejection);
    t.forEach(x -> assertNull(x.rejection));
  }

  @Test
  void waitersTimeOutInOrder() {
    Dispatcher d = dispatcher(100, 2 * SECOND, 1);
    RecordingTicket running = new RecordingTicket("running");
    running.enqueue(d);
    RecordingTicket a = new RecordingTicket("a");
    a.enqueue(d);
    time.advanceMillis(1000);
    RecordingTicket b = new RecordingTicket("b");
    b.enqueue(d);

    time.advanceMillis(999);
    assertNull(a.rejection);
    time.advanceMillis(1);
    assertEquals(Rejection.TIMEOUT, a.rejection);
    assertNull(b.rejection);
    time.advanceMillis(1000);
    assertEquals(Rejection.TIMEOUT, b.rejection);
    assertEquals(0, d.depth());
    assertEquals(0, time.pendingTasks(), "no timer is left running for an empty queue");
    assertEquals(1, a.calls);
  }

  @Test
  void aShorterTimeoutAppliesToThoseAlreadyWaiting() {
    Dispatcher d = dispatcher(100, 60 * SECOND, 1);
    List<RecordingTicket> t = tickets(3);
    t.forEach(x -> x.enqueue(d));
    time.advanceMillis(1500);
    d.setTimeoutNanos(SECOND);
    time.advanceMillis(0);
    assertEquals(Rejection.TIMEOUT, t.get(1).rejection);
    assertEquals(Rejection.TIMEOUT, t.get(2).rejection);
  }

  @Test
  void cancelRemovesAWaiterWithoutTellingIt() {
    Dispatcher d = dispatcher(100, 10 * SECOND, 1);
    List<RecordingTicket> t = tickets(4);
    t.forEach(x -> x.enqueue(d));
    assertTrue(d.cancel(t.get(2).waiter));
    assertFalse(d.cancel(t.get(2).waiter));
    assertFalse(d.cancel(t.get(0).waiter), "a granted ticket is not waiting");
    assertEquals(2, d.depth());
    t.get(0).permit.release(Outcome.IGNORED);
    t.get(1).permit.release(Outcome.SUCCESS);
    assertNotNull(t.get(3).permit);
    assertEquals(0, t.get(2).calls);
  }

  @Test
  void aRetryGoesBackToTheHeadAndPausesTheBackend() {
    Dispatcher d = dispatcher(100, 10 * SECOND, 1);
    List<RecordingTicket> t = tickets(3);
    t.forEach(x -> x.enqueue(d));
    var first = t.get(0).permit;
    t.get(0).permit = null;
    first.retryLater(true);
    assertNull(t.get(0).permit, "the backend is paused");
    assertEquals(3, d.depth());
    assertTrue(d.snapshot().backends().get(0).paused());

    time.advanceMillis(2);
    assertNotNull(t.get(0).permit, "after the backoff the same request goes first");
    assertNull(t.get(1).permit);
  }

  @Test
  void backoffGrowsWithFailuresInARowAndResetsOnConnect() {
    Dispatcher d = dispatcher(100, 60 * SECOND, 1);
    RecordingTicket t = new RecordingTicket("t");
    t.enqueue(d);
    long[] waits = new long[4];
    for (int i = 0; i < 4; i++) {
      var p = t.permit;
      t.permit = null;
      p.retryLater(false);
      int waited = 0;
      while (t.permit == null) {
        time.advanceMillis(1);
        waited++;
      }
      waits[i] = waited;
    }
    assertEquals(20, waits[0]);
    assertEquals(40, waits[1]);
    assertEquals(80, waits[2]);
    assertEquals(160, waits[3]);
    t.permit.connected();
    var p = t.permit;
    t.permit = null;
    p.retryLater(false);
    time.advanceMillis(20);
    assertNotNull(t.permit, "a successful connect resets the backoff");
  }

  @Test
  void aRetryPastTheDeadlineTimesOut() {
    Dispatcher d = dispatcher(100, SECOND, 1);
    RecordingTicket t = new RecordingTicket("t");
    t.enqueue(d);
    time.advanceMillis(1000);
    t.permit.retryLater(false);
    assertEquals(Rejection.TIMEOUT, t.rejection);
    assertEquals(0, d.depth());
  }

  @Test
  void anotherBackendServesWhileOneIsPaused() {
    Dispatcher d = dispatcher(100, 10 * SECOND, 1, 1);
    List<RecordingTicket> t = tickets(3);
    t.forEach(x -> x.enqueue(d));
    var onZero = t.get(0).permit.backend() == 0 ? t.get(0) : t.get(1);
    var p = onZero.permit;
    onZero.permit = null;
    p.retryLater(true);
    var onOne = onZero == t.get(0) ? t.get(1) : t.get(0);
    onOne.permit.release(Outcome.SUCCESS);
    assertNotNull(onZero.permit, "the retried request goes first, to the backend that is not paused");
    assertEquals(1, onZero.permit.backend());
  }

  @Test
  void raisingALimitStartsWaitersAtOnce() {
    Dispatcher d = dispatcher(100, 10 * SECOND, 1);
    List<RecordingTicket> t = tickets(8);
    t.forEach(x -> x.enqueue(d));
    d.setLimit(lanes.get(0), new FixedLimit(4));
    assertEquals(4, t.stream().filter(x -> x.permit != null).count());
    assertEquals(4, d.snapshot().backends().get(0).inflight());
  }

  @Test
  void aLimitThatGrowsOnABackendQueueReadingStartsWaitersAtOnce() {
    RecordingLimit limit = new RecordingLimit(1);
    limit.afterQueueReading = 3;
    lanes.add(new Lane(0, limit));
    Dispatcher d = new Dispatcher(lanes, new FifoLine(100, 10 * SECOND), time, time);
    List<RecordingTicket> t = tickets(4);
    t.forEach(x -> x.enqueue(d));
    assertEquals(3, d.depth());
    d.backendQueue(lanes.get(0), 0, false, 0);
    assertEquals(1, d.depth(), "two more started without waiting for a release");
    assertNotNull(t.get(2).permit);
  }

  @Test
  void loweringALimitLetsInFlightFinishAndAdmitsNoMoreUntilBelow() {
    Dispatcher d = dispatcher(100, 10 * SECOND, 4);
    List<RecordingTicket> t = tickets(6);
    t.forEach(x -> x.enqueue(d));
    d.setLimit(lanes.get(0), new FixedLimit(1));
    t.get(0).permit.release(Outcome.SUCCESS);
    t.get(1).permit.release(Outcome.SUCCESS);
    t.get(2).permit.release(Outcome.SUCCESS);
    assertNull(t.get(4).permit, "still one in flight: the new limit is reached");
    t.get(3).permit.release(Outcome.SUCCESS);
    assertNotNull(t.get(4).permit);
    assertNull(t.get(5).permit);
  }

  @Test
  void rejectAllEmptiesTheQueue() {
    Dispatcher d = dispatcher(100, 10 * SECOND, 1);
    List<RecordingTicket> t = tickets(4);
    t.forEach(x -> x.enqueue(d));
    d.rejectAll(Rejection.SHUTDOWN);
    assertEquals(0, d.depth());
    for (int i = 1; i < 4; i++) {
      assertSame(Rejection.SHUTDOWN, t.get(i).rejection);
    }
    assertNull(t.get(0).rejection);
  }

  @Test
  void retryAfterFollowsTheDrainRate() {
    Dispatcher d = dispatcher(10, 60 * SECOND, 1);
    RecordingTicket first = new RecordingTicket("first");
    first.enqueue(d);
    var current = first;
    // 10 completions in the last second, with 10 waiting: about a second to drain.
    List<RecordingTicket> waiting = new ArrayList<>(tickets(10));
    waiting.forEach(x -> x.enqueue(d));
    for (int i = 0; i < 10; i++) {
      time.advanceMillis(100);
      var next = waiting.stream().filter(x -> x.permit == null).findFirst().orElseThrow();
      current.permit.release(Outcome.SUCCESS);
      current = next;
      new RecordingTicket("refill" + i).enqueue(d);
    }
    RecordingTicket refused = new RecordingTicket("refused");
    refused.enqueue(d);
    assertEquals(Rejection.QUEUE_FULL, refused.rejection);
    assertEquals(2, refused.retryAfter, "(10 waiting + 1) / 10 per second, rounded up");
  }

  @Test
  void anEmptyQueueKeepsNoMemoryOfItsWaiters() {
    Dispatcher d = dispatcher(Integer.MAX_VALUE, 10 * SECOND, 1);
    RecordingTicket running = new RecordingTicket("running");
    running.enqueue(d);
    List<RecordingTicket> t = tickets(50_000);
    t.forEach(x -> x.enqueue(d));
    assertEquals(50_000, d.depth());
    for (int i = 0; i < 50_000; i += 2) {
      assertTrue(d.cancel(t.get(i).waiter));
    }
    var current = running;
    for (int i = 1; i < 50_000; i += 2) {
      current.permit.release(Outcome.SUCCESS);
      current = t.get(i);
      assertNotNull(current.permit);
    }
    assertEquals(0, d.depth());
    assertEquals(50_000, d.peak());
  }
}
