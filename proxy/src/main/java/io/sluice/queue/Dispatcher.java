package io.sluice.queue;

import io.sluice.limit.Limit;
import io.sluice.limit.Outcome;
import io.sluice.limit.Permit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Sluice's only queue: every request waits here, first in first out, until one of the backends has room under its
 * {@link Limit}; then it gets a {@link Permit} for the backend with the fewest requests in flight.
 *
 * <p>Thread-safe: one lock guards the queue and every backend's count, held only for O(1) work per request (O(k)
 * for k requests granted or expired at once). Tickets are told of their fate outside the lock.
 *
 * <p>Timeouts: every waiter has the same timeout, so the head of the queue is always the next to expire; one timer,
 * aimed at the head's deadline, serves the whole queue however long it is.
 *
 * <p>Backoff: a backend that refuses a connection (its accept queue is full, or it is restarting) is paused for
 * {@code 2ms * 2^(n-1)} up to 100 ms when busy, {@code 20ms * 2^(n-1)} up to 1 s when not listening, n being the
 * number of failures in a row; its request goes back to the head of the queue.
 */
public final class Dispatcher {

  private static final long BUSY_BACKOFF_NANOS = 2_000_000L;
  private static final long BUSY_BACKOFF_MAX_NANOS = 100_000_000L;
  private static final long DOWN_BACKOFF_NANOS = 20_000_000L;
  private static final long DOWN_BACKOFF_MAX_NANOS = 1_000_000_000L;

  private final Object lock = new Object();
  private final LongSupplier clock;
  private final Scheduler scheduler;
  private final Lane[] lanes;
  private final DrainRate drainRate = new DrainRate();

  // Guarded by lock; the volatile ones are also read without it, for status and metrics.
  private Ticket head;
  private Ticket tail;
  private volatile int depth;
  private volatile int peak;
  private volatile int maxDepth;
  private volatile long timeoutNanos;
  private int rotor;
  private boolean sweepPending;
  private long sweepGeneration;
  private boolean wakePending;
  private long wakeAt;
  private long wakeGeneration;

  /**
   * @param limits    one limit per backend, in configuration order
   * @param maxDepth  most requests waiting at once ({@link Integer#MAX_VALUE} for no bound)
   * @param timeoutNanos longest wait
   * @param clock     monotonic nanoseconds ({@code System::nanoTime} in production)
   * @param scheduler runs the timeout sweep and backoff wake-ups
   */
  public Dispatcher(List<Limit> limits, int maxDepth, long timeoutNanos, LongSupplier clock, Scheduler scheduler) {
    if (limits.isEmpty()) {
      throw new IllegalArgumentException("limits: empty (expected: one per backend)");
    }
    this.clock = clock;
    this.scheduler = scheduler;
    this.lanes = new Lane[limits.size()];
    for (int i = 0; i < lanes.length; i++) {
      lanes[i] = new Lane(i, limits.get(i));
    }
    setMaxDepth(maxDepth);
    setTimeoutNanos(timeoutNanos);
  }

  /**
   * Admits a request: grants it a permit at once when the queue is empty and a backend has room, rejects it when the
   * queue is full, or queues it. A ticket may be enqueued again only after it was granted and its permit retried, or
   * after it was rejected.
   */
  public void enqueue(Ticket ticket) {
    Ticket granted = null;
    int retryAfter = -1;
    synchronized (lock) {
      long now = clock.getAsLong();
      ticket.enqueuedAt = now;
      Lane lane = head == null ? pickLane(now) : null;
      if (lane != null) {
        grant(ticket, lane, now);
        granted = ticket;
      } else if (depth >= maxDepth) {
        retryAfter = retryAfterSeconds(now);
      } else {
        append(ticket);
        if (!sweepPending) {
          scheduleSweep(now);
        }
        scheduleWakeIfPaused(now);
      }
    }
    if (granted != null) {
      granted.granted(granted.grant);
    } else if (retryAfter >= 0) {
      ticket.rejected(Rejection.QUEUE_FULL, retryAfter);
    }
  }

  /**
   * Takes a waiting request out of the queue (its client went away).
   *
   * @return {@code true} if it was waiting and is now gone; {@code false} if it had already been granted or rejected,
   *     in which case the usual callback comes (or came) and, if granted, the permit must still be released
   */
  public boolean cancel(Ticket ticket) {
    synchronized (lock) {
      if (!ticket.waiting) {
        return false;
      }
      unlink(ticket);
      return true;
    }
  }

  /** Replaces one backend's limit; a higher limit starts waiting requests at once. */
  public void setLimit(int backend, Limit limit) {
    Ticket granted;
    synchronized (lock) {
      lanes[backend].limit = limit;
      granted = drain(clock.getAsLong());
    }
    deliverGrants(granted);
  }

  /** Tells one backend's limit how deep the backend's own accept queue is (see {@link Limit#onBackendQueue}). */
  public void backendQueue(int backend, int depth) {
    Ticket granted;
    synchronized (lock) {
      Lane lane = lanes[backend];
      long now = clock.getAsLong();
      lane.limit.onBackendQueue(now, depth, lane.inflight, this.depth);
      // A limit that grew starts waiting requests now, not at the next release.
      granted = drain(now);
    }
    deliverGrants(granted);
  }

  /** Changes the queue bound. Requests already waiting stay, even above a lower bound; newcomers are refused. */
  public void setMaxDepth(int newMaxDepth) {
    if (newMaxDepth < 1) {
      throw new IllegalArgumentException("maxDepth: " + newMaxDepth + " (expected: >= 1)");
    }
    maxDepth = newMaxDepth;
  }

  /** Changes the longest wait; it applies to requests already waiting too. */
  public void setTimeoutNanos(long newTimeoutNanos) {
    if (newTimeoutNanos <= 0) {
      throw new IllegalArgumentException("timeout: " + newTimeoutNanos + "ns (expected: > 0)");
    }
    synchronized (lock) {
      timeoutNanos = newTimeoutNanos;
      if (head != null) {
        scheduleSweep(clock.getAsLong());
      }
    }
  }

  /** Rejects every waiting request; for the end of a shutdown. */
  public void rejectAll(Rejection why) {
    Ticket expired;
    int retryAfter;
    synchronized (lock) {
      expired = head;
      for (Ticket t = head; t != null; t = t.next) {
        t.waiting = false;
      }
      head = null;
      tail = null;
      depth = 0;
      retryAfter = retryAfterSeconds(clock.getAsLong());
    }
    deliverRejections(expired, why, retryAfter);
  }

  /** Requests waiting now. */
  public int depth() {
    return depth;
  }

  /** The most requests that ever waited at once. */
  public int peak() {
    return peak;
  }

  /** A consistent view of the queue and the backends, for status and metrics. */
  public Snapshot snapshot() {
    synchronized (lock) {
      long now = clock.getAsLong();
      List<LaneSnapshot> backends = new ArrayList<>(lanes.length);
      for (Lane lane : lanes) {
        backends.add(new LaneSnapshot(lane.inflight, lane.limit.current(), lane.limit.setting(),
            lane.paused && lane.pausedUntil - now > 0));
      }
      return new Snapshot(depth, peak, maxDepth, timeoutNanos, head == null ? 0 : now - head.enqueuedAt,
          drainRate.perSecond(now), backends);
    }
  }

  // ---- permits

  private void release(Grant grant, Outcome outcome) {
    Ticket granted;
    synchronized (lock) {
      if (grant.done) {
        return;
      }
      grant.done = true;
      long now = clock.getAsLong();
      Lane lane = grant.lane;
      lane.limit.onSample(now, now - grant.startNanos, grant.inflightAtStart, lane.inflight, depth, outcome);
      lane.inflight--;
      drainRate.record(now);
      granted = drain(now);
    }
    deliverGrants(granted);
  }

  private void retryLater(Grant grant, boolean busy) {
    Ticket granted;
    Ticket expired = null;
    int retryAfter = 0;
    synchronized (lock) {
      if (grant.done) {
        return;
      }
      grant.done = true;
      long now = clock.getAsLong();
      Lane lane = grant.lane;
      lane.limit.onSample(now, now - grant.startNanos, grant.inflightAtStart, lane.inflight, depth,
          busy ? Outcome.OVERLOAD : Outcome.IGNORED);
      lane.inflight--;
      lane.failures = Math.min(lane.failures + 1, 30);
      long base = busy ? BUSY_BACKOFF_NANOS : DOWN_BACKOFF_NANOS;
      long max = busy ? BUSY_BACKOFF_MAX_NANOS : DOWN_BACKOFF_MAX_NANOS;
      long backoff = Math.min(max, base << Math.min(lane.failures - 1, 20));
      lane.paused = true;
      lane.pausedUntil = now + backoff;
      Ticket ticket = grant.ticket;
      ticket.grant = null;
      if (now - ticket.enqueuedAt >= timeoutNanos) {
        expired = ticket;
        ticket.next = null;
        retryAfter = retryAfterSeconds(now);
      } else {
        prepend(ticket);
        if (!sweepPending) {
          scheduleSweep(now);
        }
      }
      granted = drain(now);
      scheduleWakeIfPaused(now);
    }
    deliverGrants(granted);
    deliverRejections(expired, Rejection.TIMEOUT, retryAfter);
  }

  private void connected(Grant grant) {
    Lane lane = grant.lane;
    if (lane.failures != 0) {
      synchronized (lock) {
        lane.failures = 0;
      }
    }
  }

  // ---- internals, all under lock

  /** Grants permits to waiting requests while some backend has room; returns them chained through {@code next}. */
  private Ticket drain(long now) {
    Ticket first = null;
    Ticket last = null;
    while (head != null) {
      Lane lane = pickLane(now);
      if (lane == null) {
        break;
      }
      Ticket t = head;
      unlink(t);
      grant(t, lane, now);
      if (last == null) {
        first = t;
      } else {
        last.next = t;
      }
      last = t;
    }
    if (head != null) {
      scheduleWakeIfPaused(now);
    }
    return first;
  }

  private void grant(Ticket ticket, Lane lane, long now) {
    lane.inflight++;
    ticket.grant = new Grant(this, lane, ticket, now, lane.inflight);
    ticket.next = null;
  }

  /** The backend with room and the fewest requests in flight, or {@code null}; ties go round-robin. */
  private Lane pickLane(long now) {
    Lane best = null;
    int n = lanes.length;
    for (int i = 0; i < n; i++) {
      Lane lane = lanes[(rotor + i) % n];
      if (lane.paused) {
        if (lane.pausedUntil - now > 0) {
          continue;
        }
        lane.paused = false;
      }
      if (lane.inflight >= lane.limit.current()) {
        continue;
      }
      if (best == null || lane.inflight < best.inflight) {
        best = lane;
      }
    }
    if (best != null) {
      rotor = (best.index + 1) % n;
    }
    return best;
  }

  private void append(Ticket t) {
    t.prev = tail;
    t.next = null;
    if (tail == null) {
      head = t;
    } else {
      tail.next = t;
    }
    tail = t;
    enlisted(t);
  }

  private void prepend(Ticket t) {
    t.prev = null;
    t.next = head;
    if (head == null) {
      tail = t;
    } else {
      head.prev = t;
    }
    head = t;
    enlisted(t);
  }

  private void enlisted(Ticket t) {
    t.waiting = true;
    int d = depth + 1;
    depth = d;
    if (d > peak) {
      peak = d;
    }
  }

  private void unlink(Ticket t) {
    if (t.prev == null) {
      head = t.next;
    } else {
      t.prev.next = t.next;
    }
    if (t.next == null) {
      tail = t.prev;
    } else {
      t.next.prev = t.prev;
    }
    t.prev = null;
    t.next = null;
    t.waiting = false;
    depth = depth - 1;
  }

  private void scheduleSweep(long now) {
    sweepPending = true;
    long generation = ++sweepGeneration;
    long delay = Math.max(0, head.enqueuedAt + timeoutNanos - now);
    scheduler.schedule(delay, () -> sweep(generation));
  }

  private void sweep(long generation) {
    Ticket expired = null;
    Ticket last = null;
    int retryAfter = 0;
    synchronized (lock) {
      if (generation != sweepGeneration) {
        return;
      }
      sweepPending = false;
      long now = clock.getAsLong();
      while (head != null && now - head.enqueuedAt >= timeoutNanos) {
        Ticket t = head;
        unlink(t);
        if (last == null) {
          expired = t;
        } else {
          last.next = t;
        }
        last = t;
      }
      if (expired != null) {
        retryAfter = retryAfterSeconds(now);
      }
      if (head != null) {
        scheduleSweep(now);
      }
    }
    deliverRejections(expired, Rejection.TIMEOUT, retryAfter);
  }

  /** When requests wait and a paused backend is what keeps them waiting, wakes up at the end of its pause. */
  private void scheduleWakeIfPaused(long now) {
    long earliest = 0;
    boolean any = false;
    for (Lane lane : lanes) {
      if (lane.paused && lane.pausedUntil - now > 0 && lane.inflight < lane.limit.current()
          && (!any || lane.pausedUntil - earliest < 0)) {
        earliest = lane.pausedUntil;
        any = true;
      }
    }
    if (!any || (wakePending && wakeAt - earliest <= 0)) {
      return;
    }
    wakePending = true;
    wakeAt = earliest;
    long generation = ++wakeGeneration;
    scheduler.schedule(earliest - now, () -> wake(generation));
  }

  private void wake(long generation) {
    Ticket granted;
    synchronized (lock) {
      if (generation != wakeGeneration) {
        return;
      }
      wakePending = false;
      granted = drain(clock.getAsLong());
    }
    deliverGrants(granted);
  }

  /**
   * Seconds a refused client should wait: the time the queue needs to drain at its rate over the last second,
   * between 1 s and the queue timeout (at most an hour); the queue timeout, capped at 60 s, when nothing drains.
   */
  private int retryAfterSeconds(long now) {
    double rate = drainRate.perSecond(now);
    long timeoutSeconds = Math.max(1, (timeoutNanos + 999_999_999L) / 1_000_000_000L);
    if (rate < 1) {
      return (int) Math.min(timeoutSeconds, 60);
    }
    long seconds = (long) Math.ceil((depth + 1) / rate);
    return (int) Math.max(1, Math.min(seconds, Math.min(timeoutSeconds, 3600)));
  }

  // ---- callbacks, outside the lock

  private static void deliverGrants(Ticket chain) {
    for (Ticket t = chain; t != null; ) {
      Ticket next = t.next;
      t.next = null;
      t.granted(t.grant);
      t = next;
    }
  }

  private static void deliverRejections(Ticket chain, Rejection why, int retryAfter) {
    for (Ticket t = chain; t != null; ) {
      Ticket next = t.next;
      t.next = null;
      t.rejected(why, retryAfter);
      t = next;
    }
  }

  /** One backend's share of the dispatcher's state. Guarded by the dispatcher's lock. */
  private static final class Lane {
    final int index;
    Limit limit;
    int inflight;
    volatile int failures;
    boolean paused;
    long pausedUntil;

    Lane(int index, Limit limit) {
      this.index = index;
      this.limit = limit;
    }
  }

  /** The permit handed to a ticket; released through the dispatcher, at most once. */
  static final class Grant implements Permit {
    private final Dispatcher dispatcher;
    final Lane lane;
    final Ticket ticket;
    final long startNanos;
    final int inflightAtStart;
    boolean done;

    Grant(Dispatcher dispatcher, Lane lane, Ticket ticket, long startNanos, int inflightAtStart) {
      this.dispatcher = dispatcher;
      this.lane = lane;
      this.ticket = ticket;
      this.startNanos = startNanos;
      this.inflightAtStart = inflightAtStart;
    }

    @Override
    public int backend() {
      return lane.index;
    }

    @Override
    public void connected() {
      dispatcher.connected(this);
    }

    @Override
    public void release(Outcome outcome) {
      dispatcher.release(this, outcome);
    }

    @Override
    public void retryLater(boolean busy) {
      dispatcher.retryLater(this, busy);
    }
  }

  /**
   * The queue at one instant.
   *
   * @param oldestWaitNanos how long the head has waited (0 when empty)
   * @param drainPerSecond  requests that left a backend per second, over the last second
   */
  public record Snapshot(int depth, int peak, int maxDepth, long timeoutNanos, long oldestWaitNanos,
      double drainPerSecond, List<LaneSnapshot> backends) {
  }

  /** One backend at one instant; {@code paused} while it is in connect backoff. */
  public record LaneSnapshot(int inflight, int limit, String setting, boolean paused) {
  }
}
