package io.sluice.backend;

import io.sluice.queue.Scheduler;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The connections open to one backend, counted across every event loop, and the idle ones, kept per loop: the
 * bookkeeping behind {@link SocketConnector}, apart from the sockets so that it runs on a fake clock.
 *
 * <p>Why a bound: a backend that serves keep-alive connections with green threads or a thread per connection
 * (gunicorn's gevent and gthread workers) counts an idle connection Sluice keeps as one of its worker connections.
 * Idle connections held on one loop would then keep the backend from accepting the new connections of another loop
 * until its keep-alive timeout closed them. So the total open to a backend, in use and idle on every loop, stays at or
 * below its current limit:
 * <ul>
 *   <li>a connection whose call ended while the connections in use fill the limit is closed rather than kept;
 *       one that is kept while idle ones take the total over the limit replaces the oldest of them
 *       ({@link Local#give});
 *   <li>a new connection that takes the total over the limit asks the loops holding idle connections to close their
 *       oldest ones ({@link #opened}); so does a limit that dropped ({@link #trim});
 *   <li>while the backend's accept queue holds connections, as many of Sluice's are closed, idle ones at once and
 *       then those whose call ends; and as many again of those that would only go idle ({@link #acceptQueue}): the
 *       backend may be full of Sluice's connections, and the queued ones may be Sluice's too;
 *   <li>idle connections are closed once they have been idle for {@code maxIdleNanos}, by one sweep per loop that runs
 *       only while the loop holds idle connections, well before common keep-alive timeouts close them on the backend's
 *       side (a request written just as the backend closes would otherwise have to be sent again).
 * </ul>
 *
 * <p>Within a loop, the most recently used idle connection is reused first, so the least used age out and are
 * closed.
 *
 * <p>Threading: {@link #opened}, {@link #released}, {@link #open}, {@link #idle} and {@link #trim} are thread-safe;
 * a {@link Local} is confined to its loop. Each connection counted by {@link #opened} must be {@link #released}
 * exactly once, when it closes, whoever closes it.
 *
 * @param <C> the connections
 */
final class ConnectionPool<C extends ConnectionPool.Member> {

  /** What the pool needs of a connection. Called on the connection's loop only. */
  interface Member {

    /** Closes it; the connection then calls {@link #released} (once, whoever closed it first). */
    void close();

    /** Whether it is closed, or closing. */
    boolean closed();

    /** When it last became idle, on the pool's clock. */
    long idleSince();

    void idleSince(long nanos);
  }

  private final IntSupplier limit;
  private final LongSupplier clock;
  private final long maxIdleNanos;
  private final long sweepNanos;
  private final int maxIdlePerLoop;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger idle = new AtomicInteger();
  /** Connections still to close for the backend's accept queue, of those a waiting request would reuse. */
  private final AtomicInteger rotate = new AtomicInteger();
  /** Connections still to close for the backend's accept queue, of those that would only idle. */
  private final AtomicInteger unblock = new AtomicInteger();
  private final List<Local> locals = new CopyOnWriteArrayList<>();
  /** Calls that handed their connection back for reuse, and connections opened, since the pool began. */
  private final LongAdder returns = new LongAdder();
  private final LongAdder opens = new LongAdder();
  // At the last reading; read and written by the kernel sampler alone.
  private long returnsRead;
  private long opensRead;
  private boolean connectionsKept;

  /**
   * @param limit          the backend's limit now, read from any thread (a moment-old value is fine)
   * @param clock          monotonic nanoseconds
   * @param maxIdleNanos   the longest a connection is kept idle
   * @param maxIdlePerLoop the most idle connections one loop keeps, whatever the limit
   */
  ConnectionPool(IntSupplier limit, LongSupplier clock, long maxIdleNanos, int maxIdlePerLoop) {
    this.limit = limit;
    this.clock = clock;
    this.maxIdleNanos = maxIdleNanos;
    // A connection is closed at most a quarter of its idle time late.
    this.sweepNanos = Math.max(1_000_000L, maxIdleNanos / 4);
    this.maxIdlePerLoop = maxIdlePerLoop;
  }

  /**
   * This event loop's part of the pool: make it once per loop, on it.
   *
   * @param loop  runs what other threads ask of this part (closing surplus idle connections)
   * @param timer runs the idle sweep on this loop
   */
  Local local(Loop loop, Scheduler timer) {
    Local l = new Local(loop, timer);
    locals.add(l);
    return l;
  }

  /** Connections open now: connecting, carrying a request, or idle, on every loop. */
  int open() {
    return open.get();
  }

  /** Idle connections now, on every loop. */
  int idle() {
    return idle.get();
  }

  /**
   * Counts a connection about to be opened (call before connecting). If that takes the backend over its limit, the
   * loops holding idle connections are asked to close enough of them.
   */
  void opened() {
    opens.increment();
    if (open.incrementAndGet() > limit.getAsInt()) {
      trim();
    }
  }

  /** A connection counted by {@link #opened} is gone: it closed, or its connect failed. */
  void released() {
    open.decrementAndGet();
  }

  /**
   * Counts a connection about to be opened only if the backend is below its limit; for a probe, which must not add to
   * what the backend holds.
   *
   * @return whether it was counted (then it must be {@link #released})
   */
  boolean tryOpened() {
    int n;
    do {
      n = open.get();
      if (n >= limit.getAsInt()) {
        return false;
      }
    } while (!open.compareAndSet(n, n + 1));
    return true;
  }

  /**
   * While more connections are open than the limit allows, asks each loop holding idle ones to close its oldest, on
   * that loop. From any thread; at most one request waits per loop at a time.
   */
  void trim() {
    trim(null);
  }

  /**
   * The backend's accept queue holds {@code depth} connections: closes as many of Sluice's, on their loops, the oldest
   * idle ones at once and then those whose call ends, until the next reading. A backend that counts connections
   * (gunicorn gevent) stops accepting while it holds as many as it takes, so a connection Sluice opened while all the
   * others were busy waits in its queue until one of them closes, however many calls end on them (measured: the last
   * two requests of a spike answered 1.2 s after all the others, when the idle sweep closed one); a prefork backend
   * that keeps connections alive gives each one a whole worker.
   *
   * <p>While requests wait in Sluice's queue, a connection closed for this is replaced by a new one, which joins the
   * backend's queue in turn: closing only shares the wait among the queued requests, and the queue keeps its depth
   * until the load ends. So the connections that would only go idle (their call ends while others idle already) have a
   * budget of their own, up to {@code depth} again: when a spike ends between two readings, the last requests are
   * let in as soon as calls end, not at the next reading (measured: the last two requests of a spike answered
   * 200-250 ms after the others). From any thread; called with each reading.
   *
   * @return whether the backend keeps connections alive, as {@link Connector#acceptQueue} says
   */
  boolean acceptQueue(int depth) {
    long returned = returns.sum() - returnsRead;
    long opened = opens.sum() - opensRead;
    returnsRead += returned;
    opensRead += opened;
    if (returned + opened > 0) {
      connectionsKept = returned > opened;
    }
    rotate.set(Math.max(0, depth));
    unblock.set(Math.max(0, depth));
    if (depth > 0 && idle.get() > 0) {
      askLoops(null);
    }
    return connectionsKept;
  }

  private void trim(Local except) {
    if (idle.get() == 0 || open.get() <= limit.getAsInt()) {
      return;
    }
    askLoops(except);
  }

  private void askLoops(Local except) {
    for (Local l : locals) {
      if (l != except && l.size > 0 && l.trimAsked.compareAndSet(false, true)) {
        l.loop.execute(v -> {
          l.trimAsked.set(false);
          l.closeSurplus();
        });
      }
    }
  }

  /** One event loop's idle connections, most recently used first. Confined to that loop. */
  final class Local {

    private final Loop loop;
    private final Scheduler timer;
    private final ArrayDeque<C> deque = new ArrayDeque<>();
    /** The deque's size, for other threads deciding whom to ask to trim. */
    private volatile int size;
    private final AtomicBoolean trimAsked = new AtomicBoolean();
    private boolean sweepArmed;

    private Local(Loop loop, Scheduler timer) {
      this.loop = loop;
      this.timer = timer;
    }

    /** The most recently used idle connection still fit for use, or {@code null}. */
    C take() {
      long now = clock.getAsLong();
      C c;
      while ((c = deque.pollFirst()) != null) {
        taken();
        if (!c.closed() && now - c.idleSince() < maxIdleNanos) {
          return c;
        }
        c.close();
      }
      return null;
    }

    /**
     * Keeps a connection whose call ended for the next call on this loop, unless the connections still in use
     * already fill the limit (it dropped), this loop keeps its most already, or the backend's accept queue waits for
     * one to close ({@link #acceptQueue}): then it is closed. If keeping it
     * leaves more connections open than the limit, the oldest idle ones go instead, this loop's first: the one just
     * freed is the one the next call here reuses.
     *
     * @return whether it was kept
     */
    boolean give(C c) {
      if (c.closed()) {
        return false;
      }
      returns.increment();
      // With others idle already, this one would idle too.
      if (take(idle.get() > 0 ? unblock : rotate)) {
        c.close();
        return false;
      }
      int max = limit.getAsInt();
      // This one still counts as in use: open less idle.
      if (open.get() - idle.get() > max || deque.size() >= maxIdlePerLoop) {
        c.close();
        return false;
      }
      c.idleSince(clock.getAsLong());
      deque.addFirst(c);
      size = deque.size();
      idle.incrementAndGet();
      C oldest;
      while (open.get() > max && deque.size() > 1 && (oldest = deque.pollLast()) != null) {
        taken();
        oldest.close();
      }
      trim(this);
      armSweep();
      return true;
    }

    /** Forgets an idle connection the backend closed. */
    void remove(C c) {
      if (deque.remove(c)) {
        taken();
      }
    }

    /** Idle connections on this loop. */
    int size() {
      return deque.size();
    }

    /** Closes the connections idle for too long, and the oldest ones while the backend is over its limit. */
    void sweep() {
      long cutoff = clock.getAsLong() - maxIdleNanos;
      C c;
      // Newest first: the oldest are at the end, and the first fresh one there ends the search.
      while ((c = deque.peekLast()) != null && (c.closed() || c.idleSince() - cutoff <= 0)) {
        deque.pollLast();
        taken();
        c.close();
      }
      closeSurplus();
    }

    private void closeSurplus() {
      while (!deque.isEmpty() && (open.get() > limit.getAsInt() || take(unblock))) {
        // It frees the backend's slot for a queued connection, as closing one a waiting request would reuse does.
        take(rotate);
        C c = deque.pollLast();
        taken();
        c.close();
      }
    }

    /** Takes one from a budget of connections to close, if any is left. */
    private boolean take(AtomicInteger budget) {
      int n;
      do {
        n = budget.get();
        if (n <= 0) {
          return false;
        }
      } while (!budget.compareAndSet(n, n - 1));
      return true;
    }

    private void taken() {
      size = deque.size();
      idle.decrementAndGet();
    }

    private void armSweep() {
      if (sweepArmed) {
        return;
      }
      sweepArmed = true;
      timer.schedule(sweepNanos, () -> {
        sweepArmed = false;
        sweep();
        if (!deque.isEmpty()) {
          armSweep();
        }
      });
    }
  }
}
