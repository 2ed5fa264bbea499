package io.sluice.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.limit.FixedLimit;
import io.sluice.limit.Outcome;
import io.sluice.limit.Permit;
import io.sluice.testing.FakeTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The disciplines against open-loop load on the fake clock: a backend of two workers at 6 ms each (about 333
 * requests a second) behind the real dispatcher, clients that arrive at a fixed rate and give up after a deadline.
 * Sustained overload must be answered fast either way (served quickly or refused at once); a spike must still be
 * absorbed whole.
 */
class OverloadTest {

  private static final long MS = 1_000_000L;
  private static final long SECOND = 1000 * MS;
  private static final long SERVICE = 6 * MS;

  private final FakeTime time = new FakeTime();
  /** Until then the backend answers nothing: it is restarting. */
  private long stallUntil;

  /** One client: when it arrived, and what became of it. */
  private final class Client implements Ticket {
    final long arrived = time.getAsLong();
    final Waiter waiter = new Waiter(this);
    long answeredAt = -1;
    boolean served;
    boolean gaveUp;

    @Override
    public void granted(Permit permit) {
      answeredAt = time.getAsLong();
      served = true;
      time.schedule(Math.max(SERVICE, stallUntil - answeredAt), () -> permit.release(Outcome.SUCCESS));
    }

    @Override
    public void rejected(Rejection why, int retryAfterSeconds) {
      answeredAt = time.getAsLong();
    }

    long waitedMillis() {
      return (answeredAt - arrived) / MS;
    }
  }

  private record Run(List<Client> clients, long durationMillis) {
    List<Client> served() {
      return clients.stream().filter(c -> c.served).toList();
    }

    List<Client> refused() {
      return clients.stream().filter(c -> !c.served && !c.gaveUp && c.answeredAt >= 0).toList();
    }

    long gaveUp() {
      return clients.stream().filter(c -> c.gaveUp).count();
    }

    static long median(List<Client> cs) {
      List<Long> waits = new ArrayList<>(cs.stream().map(Client::waitedMillis).toList());
      waits.sort(null);
      return waits.isEmpty() ? 0 : waits.get(waits.size() / 2);
    }

    double goodput() {
      return served().size() * 1000.0 / durationMillis;
    }

    @Override
    public String toString() {
      return clients.size() + " clients: " + served().size() + " served (median wait " + median(served()) + " ms), "
          + refused().size() + " refused (median " + median(refused()) + " ms), " + gaveUp() + " gave up";
    }
  }

  private Dispatcher dispatcher(WaitingLine line) {
    return new Dispatcher(List.of(new Lane(0, new FixedLimit(2))), line, time, time);
  }

  /**
   * {@code perSecond} arrivals every second for {@code seconds}, each giving up after {@code patience}; then runs
   * until every client has an answer or gave up.
   */
  private Run openLoop(Dispatcher d, int perSecond, int seconds, long patience) {
    List<Client> clients = new ArrayList<>();
    ArrayDeque<Client> waiting = new ArrayDeque<>();
    long start = time.getAsLong();
    long arrivals = (long) perSecond * seconds;
    for (long ms = 0; clients.size() < arrivals || !waiting.isEmpty(); ms++) {
      while (clients.size() < arrivals && clients.size() < (ms + 1) * perSecond / 1000) {
        Client c = new Client();
        clients.add(c);
        d.enqueue(c.waiter);
        if (c.answeredAt < 0) {
          waiting.add(c);
        }
      }
      time.advanceMillis(1);
      waiting.removeIf(c -> c.answeredAt >= 0);
      for (Client c : waiting) {
        if (time.getAsLong() - c.arrived >= patience && d.cancel(c.waiter)) {
          c.gaveUp = true;
        }
      }
      waiting.removeIf(c -> c.gaveUp);
    }
    time.advanceMillis(100);
    return new Run(clients, (time.getAsLong() - start) / MS);
  }

  @Test
  void sustainedOverloadIsServedFastOrRefusedFast() {
    Run run = openLoop(dispatcher(new AdaptiveLine(Integer.MAX_VALUE, 5 * SECOND, 500 * MS)), 500, 20, 6 * SECOND);
    assertTrue(Run.median(run.served()) <= 500, run.toString());
    assertTrue(Run.median(run.refused()) <= 500, run.toString());
    assertEquals(0, run.gaveUp(), run.toString());
    assertTrue(run.goodput() >= 0.9 * 1000.0 / SERVICE * 2, run.toString());
  }

  @Test
  void fifoMakesEveryoneWaitAndRefusesOnlyWhatSurelyTimesOut() {
    Run run = openLoop(dispatcher(new FifoLine(Integer.MAX_VALUE, 5 * SECOND)), 500, 20, 6 * SECOND);
    assertTrue(Run.median(run.served()) > 2000, "FIFO has no target to hold: " + run);
    assertEquals(0, run.gaveUp(), run.toString());
    assertTrue(Run.median(run.refused()) <= 500, "refused early, not after the 5 s timeout: " + run);
  }

  @Test
  void aSpikeIsAbsorbedWholeEvenWhenItTakesSecondsToArrive() {
    AdaptiveLine line = new AdaptiveLine(Integer.MAX_VALUE, 60 * SECOND, 500 * MS);
    // 15,000 clients connecting over six seconds, as a spike of that size takes to arrive on a small machine.
    Run run = openLoop(dispatcher(line), 2500, 6, 120 * SECOND);
    assertEquals(15_000, run.served().size(), "every request of a spike is served: " + run);
    assertFalse(line.overloaded());
    assertEquals(Long.MIN_VALUE, line.modeSince(), "it never was overloaded");
  }

  @Test
  void aBackendThatPausesUnderOverloadDoesNotMakeNewcomersLookHopeless() {
    // 400 a second against 333 for ten seconds: overloaded after five (a quarter of the 20 s timeout), a second
    // and a half of waiting by then; at eight seconds the backend stops for two seconds to restart.
    time.schedule(8 * SECOND, () -> stallUntil = time.getAsLong() + 2 * SECOND);
    Run run = openLoop(dispatcher(new FifoLine(Integer.MAX_VALUE, 20 * SECOND)), 400, 10, 60 * SECOND);
    assertEquals(0, run.refused().size(), "everyone could be served within the timeout: " + run);
    assertEquals(4000, run.served().size());
  }
}
