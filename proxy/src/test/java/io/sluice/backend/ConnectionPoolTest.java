package io.sluice.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.FakeTime;
import io.sluice.testing.TestLoop;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The count of connections open to a backend and the idle ones per loop, on the fake clock. */
class ConnectionPoolTest {

  private static final long MAX_IDLE = 1_000_000_000L;

  private final FakeTime time = new FakeTime();
  private final AtomicInteger limit = new AtomicInteger(3);
  private final ConnectionPool<Conn> pool = new ConnectionPool<>(limit::get, time, MAX_IDLE, 256);
  private final TestLoop loopA = new TestLoop();
  private final TestLoop loopB = new TestLoop();
  private final ConnectionPool<Conn>.Local a = pool.local(loopA, time);
  private final ConnectionPool<Conn>.Local b = pool.local(loopB, time);

  /** A connection that releases its count once when closed, as a socket connection does. */
  private final class Conn implements ConnectionPool.Member {
    boolean closed;
    long idleSince;

    Conn() {
      pool.opened();
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        pool.released();
      }
    }

    @Override
    public boolean closed() {
      return closed;
    }

    @Override
    public long idleSince() {
      return idleSince;
    }

    @Override
    public void idleSince(long nanos) {
      idleSince = nanos;
    }
  }

  /** A new connection, idle on {@code loop} from now on; the clock then moves on 10 ms. */
  private Conn idleOn(ConnectionPool<Conn>.Local loop) {
    Conn c = new Conn();
    loop.give(c);
    time.advanceMillis(10);
    return c;
  }

  @Test
  void aBackendKeepsConnectionsWhileMoreCallsHandThemBackThanOpenNewOnes() {
    assertFalse(pool.acceptQueue(0), "nothing seen yet");
    // Each call on a connection of its own, closed after the response (uwsgi, gunicorn sync).
    for (int i = 0; i < 5; i++) {
      new Conn().close();
    }
    assertFalse(pool.acceptQueue(0));
    // Three connections opened, then calls reuse them.
    Conn c = idleOn(a);
    idleOn(a);
    idleOn(a);
    for (int i = 0; i < 10; i++) {
      Conn taken = a.take();
      assertTrue(a.give(taken));
    }
    assertTrue(pool.acceptQueue(0), "13 handed back against 3 opened");
    assertTrue(pool.acceptQueue(0), "no call between two readings says nothing new");
    c.close();
    for (int i = 0; i < 3; i++) {
      new Conn().close();
    }
    assertFalse(pool.acceptQueue(0), "only new connections since the last reading");
  }

  @Test
  void theMostRecentlyUsedIdleConnectionIsReusedFirst() {
    Conn first = new Conn();
    Conn second = new Conn();
    assertTrue(a.give(first));
    time.advanceMillis(10);
    assertTrue(a.give(second));
    assertEquals(2, pool.idle());

    assertSame(second, a.take());
    assertSame(first, a.take());
    assertNull(a.take());
    assertEquals(0, pool.idle());
    assertEquals(2, pool.open(), "taken, not closed");
  }

  @Test
  void aConnectionWhoseCallEndsWhileTheConnectionsInUseFillTheLimitIsClosedNotKept() {
    Conn[] c = {new Conn(), new Conn(), new Conn()};
    limit.set(2);

    assertFalse(a.give(c[0]), "3 in use, limit 2");
    assertTrue(c[0].closed);
    assertTrue(a.give(c[1]), "2 open now");
    assertTrue(a.give(c[2]));
    assertEquals(2, pool.open());
    assertEquals(2, pool.idle());
  }

  @Test
  void aConnectionKeptWhileIdleOnesTakeTheTotalOverTheLimitReplacesTheOldestOfThem() {
    Conn old = new Conn();
    Conn inUse = new Conn();
    a.give(old);
    Conn elsewhere = new Conn();
    b.give(elsewhere);
    new Conn();
    loopA.offLoop = true;
    loopB.offLoop = true;
    assertEquals(4, pool.open(), "a connect on a third loop, before the others trimmed");

    time.advanceMillis(1);
    assertTrue(a.give(inUse), "the connection just freed is the one the next call here reuses");
    assertTrue(old.closed, "this loop's oldest idle one goes instead");
    assertFalse(inUse.closed);
    assertEquals(3, pool.open());
    loopA.runTasks();
    loopB.runTasks();
    assertFalse(elsewhere.closed, "back at the limit: nothing more to close");
  }

  @Test
  void aNewConnectionOverTheLimitClosesTheOldestIdleOnesOfOtherLoops() {
    Conn older = idleOn(b);
    Conn newer = idleOn(b);
    Conn busy = new Conn();
    assertEquals(3, pool.open());

    loopB.offLoop = true;
    new Conn();
    assertEquals(1, loopB.pendingTasks(), "loop B is asked, on its own thread");
    assertFalse(older.closed);
    loopB.runTasks();

    assertTrue(older.closed, "the oldest goes first");
    assertFalse(newer.closed);
    assertFalse(busy.closed);
    assertEquals(3, pool.open(), "back at the limit");
    assertEquals(1, b.size());
  }

  @Test
  void aLimitThatDropsClosesTheSurplusIdleConnections() {
    Conn[] c = {new Conn(), new Conn(), new Conn()};
    for (Conn x : c) {
      a.give(x);
    }
    limit.set(1);
    pool.trim();
    loopA.runTasks();
    assertEquals(1, pool.open());
    assertEquals(1, pool.idle());
    assertFalse(c[2].closed, "the most recently used stays");
  }

  @Test
  void whileTheBackendsAcceptQueueHoldsConnectionsAsManyOfSluicesAreClosed() {
    // gunicorn gevent at its worker connections: a connection opened while the others were busy waits in its accept
    // queue until one of them closes, however many calls end on them.
    limit.set(4);
    Conn older = idleOn(a);
    Conn newer = idleOn(a);
    Conn other = idleOn(b);
    Conn queued = new Conn();
    pool.acceptQueue(0);
    loopA.runTasks();
    loopB.runTasks();
    assertEquals(3, pool.idle(), "an empty queue closes nothing");

    pool.acceptQueue(2);
    loopA.runTasks();
    loopB.runTasks();
    assertEquals(1, pool.idle(), "two waiting, two closed");
    assertTrue(older.closed, "the oldest goes first");
    assertFalse(queued.closed);
    assertEquals(2, pool.open());

    // Three waiting with one idle: the idle one goes at once, and the next two connections whose call ends.
    limit.set(10);
    Conn first = new Conn();
    Conn second = new Conn();
    Conn third = new Conn();
    Conn idle = older.closed && newer.closed ? other : newer;
    pool.acceptQueue(3);
    loopA.runTasks();
    loopB.runTasks();
    assertTrue(idle.closed);
    assertFalse(a.give(first));
    assertFalse(b.give(second));
    assertTrue(first.closed && second.closed);
    assertTrue(a.give(third), "three closed for three waiting");

    // What was not closed for one reading is not closed later for it.
    pool.acceptQueue(0);
    Conn fourth = new Conn();
    assertTrue(b.give(fourth));
    a.sweep();
    b.sweep();
    assertFalse(third.closed || fourth.closed);
    assertEquals(2, pool.idle());
  }

  @Test
  void whenTheLoadEndsBetweenTwoReadingsTheConnectionsThatWouldOnlyIdleAreClosedForTheQueue() {
    // A spike through gevent with two of Sluice's connections over its capacity: each reading shows them queued, and
    // the connections closed for them while requests wait are replaced by new ones, which queue in turn.
    limit.set(10);
    Conn[] busy = new Conn[6];
    for (int i = 0; i < busy.length; i++) {
      busy[i] = new Conn();
    }
    pool.acceptQueue(2);
    assertFalse(a.give(busy[0]), "a waiting request would reuse it: closed, and replaced");
    assertFalse(b.give(busy[1]));
    new Conn();
    new Conn();

    // The load ends before the next reading: the first connection whose call ends is kept, the next two would only
    // idle beside it and are closed, so that the backend takes the two queued ones now.
    assertTrue(a.give(busy[2]));
    assertFalse(b.give(busy[3]));
    assertFalse(a.give(busy[4]));
    assertTrue(b.give(busy[5]), "two closed for two queued");
    assertEquals(2, pool.idle());

    // A reading of an empty queue closes nothing more.
    pool.acceptQueue(0);
    Conn last = new Conn();
    assertTrue(a.give(last));
    assertEquals(3, pool.idle());
  }

  @Test
  void idleConnectionsAreClosedByTheSweepOnceTheyPassTheIdleAgeOldestFirst() {
    Conn old = new Conn();
    a.give(old);
    time.advanceMillis(600);
    Conn recent = new Conn();
    a.give(recent);

    time.advanceMillis(500);
    assertTrue(old.closed, "idle for 1.1 s: closed without anyone asking for a connection");
    assertFalse(recent.closed);
    assertEquals(1, pool.idle());

    time.advanceMillis(800);
    assertTrue(recent.closed);
    assertEquals(0, pool.open());
    assertEquals(0, time.pendingTasks(), "no sweep runs while nothing is idle");
  }

  @Test
  void aStaleConnectionIsNeverHandedOut() {
    Conn c = new Conn();
    a.give(c);
    time.advanceMillis(1000);
    // Before the sweep came round to it.
    assertNull(a.take());
    assertTrue(c.closed);
  }

  @Test
  void aProbeIsCountedOnlyBelowTheLimit() {
    new Conn();
    new Conn();
    assertTrue(pool.tryOpened());
    assertEquals(3, pool.open());
    assertFalse(pool.tryOpened(), "at the limit: no probe");
    pool.released();
    assertEquals(2, pool.open());
  }

  @Test
  void anIdleConnectionTheBackendClosedIsForgotten() {
    Conn c = new Conn();
    a.give(c);
    c.close();
    a.remove(c);
    assertEquals(0, pool.idle());
    assertEquals(0, pool.open());
    assertNull(a.take());
  }
}
