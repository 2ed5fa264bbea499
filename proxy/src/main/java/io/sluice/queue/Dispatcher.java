package io.sluice.queue;

import io.sluice.limit.Decision;
import io.sluice.limit.Limit;
import io.sluice.limit.Outcome;
import io.sluice.limit.Permit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Sluice's only queue: every request waits in the {@link WaitingLine} until one of the backends has room under its
 * {@link Limit}; then it gets a {@link Permit} for the backend with room and the fewest requests in flight (ties go
 * round-robin). A refused connect puts the request back, first in line, and pauses the backend ({@link Lane}).
 *
 * <p>Thread-safe: one lock guards the line and every lane, held for O(1) work per request (O(k) for k requests
 * granted or expired at once). Tickets are told of their fate outside the lock, on the thread that decided it.
 *
 * <p>Timers: one, aimed at the line's {@link WaitingLine#nextExpiry}, expires waiters however many there are; another
 * wakes the queue when a paused backend is all that keeps requests waiting.
 */
public final class Dispatcher {

  private final Object lock = new Object();
  private final LongSupplier clock;
  private final Scheduler scheduler;
  private final Lane[] lanes;
  private volatile WaitingLine line;
  private final DrainRate drainRate = new DrainRate();

  // Guarded by lock.
  private int rotor;
  private boolean sweepPending;
  private long sweepAt;
  private long sweepGeneration;
  private boolean wakePending;
  private long wakeAt;
  private long wakeGeneration;

  /**
   * @param lanes     one per backend, in configuration order (a lane's index is its position)
   * @param line      the queue discipline
   * @param clock     monotonic nanoseconds ({@code System::nanoTime} in production)
   * @param scheduler runs the expiry sweep and backoff wake-ups
   */
  public Dispatcher(List<Lane> lanes, WaitingLine line, LongSupplier clock, Scheduler scheduler) {
    if (lanes.isEmpty()) {
      throw new IllegalArgumentException("lanes: empty (expected: one per backend)");
    }
    for (int i = 0; i < lanes.size(); i++) {
      if (lanes.get(i).index != i) {
        throw new IllegalArgumentException("lanes[" + i + "].index: " + lanes.get(i).index + " (expected: " + i + ")");
      }
    }
    this.lanes = lanes.toArray(Lane[]::new);
    this.line = line;
    this.clock = clock;
    this.scheduler = scheduler;
  }

  /**
   * Admits a request: grants it a permit at once when nobody waits and a backend has room, rejects it when the line
   * does not admit it, or queues it. Its ticket is told which, on this thread or later on another; until then
   * {@code w} may be {@link #cancel}led. A waiter is queued once: it comes back only through its permit's
   * {@link Permit#retryLater}.
   */
  public void enqueue(Waiter w) {
    Grant granted = null;
    Rejection refusal = null;
    int retryAfter = -1;
    synchronized (lock) {
      long now = clock.getAsLong();
      w.enqueuedAt = now;
      Lane lane = line.isEmpty() ? pickLane(now) : null;
      if (lane != null) {
        granted = grant(w, lane, now);
      } else if ((refusal = line.admit(now)) != null) {
        retryAfter = retryAfterSeconds(now);
        // Entering overload may have shortened the wait the line allows.
        armSweep(now);
      } else {
        line.add(w);
        armSweep(now);
        armWake(now);
      }
    }
    if (granted != null) {
      w.ticket.granted(granted);
    } else if (refusal != null) {
      w.ticket.rejected(refusal, retryAfter);
    }
  }

  /**
   * Takes a waiting request out of the queue (its client went away).
   *
   * @return {@code true} if it was waiting and is now gone; {@code false} if it had already been granted or rejected,
   *     in which case the usual callback comes (or came) and, if granted, the permit must still be released
   */
  public boolean cancel(Waiter w) {
    synchronized (lock) {
      if (!w.waiting) {
        return false;
      }
      line.remove(w);
      return true;
    }
  }

  /** Replaces one backend's limit; a higher limit starts waiting requests at once. */
  public void setLimit(Lane lane, Limit limit) {
    Waiter granted;
    synchronized (lock) {
      lane.limit = limit;
      granted = drain(clock.getAsLong());
    }
    Waiter.grantAll(granted);
  }

  /**
   * Tells one backend's limit how deep the backend's own accept queue is, whether the backend keeps connections
   * alive, and how many Sluice has open to it (see {@link Limit#onBackendQueue}).
   */
  public void backendQueue(Lane lane, int depth, boolean connectionsKept, int open) {
    Waiter granted;
    synchronized (lock) {
      long now = clock.getAsLong();
      lane.limit.onBackendQueue(now, depth, lane.inflight, line.depth(), connectionsKept, open);
      // A limit that grew starts waiting requests now, not at the next release.
      granted = drain(now);
    }
    Waiter.grantAll(granted);
  }

  /** Changes the queue bound. Requests already waiting stay, even above a lower bound; newcomers are refused. */
  public void setMaxDepth(int maxDepth) {
    synchronized (lock) {
      line.setMaxDepth(maxDepth);
    }
  }

  /** Changes the longest wait; it applies to requests already waiting too. */
  public void setTimeoutNanos(long timeoutNanos) {
    synchronized (lock) {
      line.setTimeoutNanos(timeoutNanos);
      sweepPending = false;
      armSweep(clock.getAsLong());
    }
  }

  /** Rejects every waiting request; for the end of a shutdown. */
  public void rejectAll(Rejection why) {
    Waiter rejected;
    int retryAfter;
    synchronized (lock) {
      rejected = line.removeAll();
      retryAfter = retryAfterSeconds(clock.getAsLong());
    }
    Waiter.rejectAll(rejected, why, retryAfter);
  }

  /** Requests waiting now. */
  public int depth() {
    return line.depth();
  }

  /** The most requests that ever waited at once. */
  public int peak() {
    return line.peak();
  }

  /** A consistent view of the queue and the backends, for status and metrics. */
  public QueueSnapshot snapshot() {
    synchronized (lock) {
      long now = clock.getAsLong();
      List<LaneSnapshot> backends = new ArrayList<>(lanes.length);
      for (Lane lane : lanes) {
        backends.add(new LaneSnapshot(lane.inflight, lane.limit.current(), lane.limit.setting(),
            lane.pausedUntil - now > 0 && lane.paused, lane.limit.lastDecision()));
      }
      long since = line.modeSince();
      return new QueueSnapshot(line.depth(), line.peak(), line.maxDepth(), line.timeoutNanos(), line.oldestWait(now),
          drainRate.perSecond(now), line.discipline(), line.targetNanos(), line.overloaded(),
          since == Long.MIN_VALUE ? -1 : now - since, backends);
    }
  }

  /**
   * Changes the discipline: {@code next} takes every waiting request, in order, and the peak so far. Requests in
   * flight are untouched.
   */
  public void setLine(WaitingLine next) {
    Waiter granted;
    synchronized (lock) {
      next.takeOver(line);
      line = next;
      long now = clock.getAsLong();
      sweepPending = false;
      armSweep(now);
      granted = drain(now);
    }
    Waiter.grantAll(granted);
  }

  /** Changes the wait an adaptive line holds under sustained overload. */
  public void setTargetNanos(long targetNanos) {
    synchronized (lock) {
      line.setTargetNanos(targetNanos);
      armSweep(clock.getAsLong());
    }
  }

  /** The discipline in force: {@code fifo} or {@code adaptive}. */
  public String discipline() {
    return line.discipline();
  }

  // ---- permits

  void release(Grant grant, Outcome outcome) {
    Waiter granted;
    synchronized (lock) {
      if (!settle(grant, outcome)) {
        return;
      }
      long now = clock.getAsLong();
      drainRate.record(now);
      granted = drain(now, grant.waiter.home);
    }
    Waiter.grantAll(granted);
  }

  void retryLater(Grant grant, boolean busy) {
    Waiter granted;
    Waiter expired = null;
    int retryAfter = 0;
    synchronized (lock) {
      if (!settle(grant, busy ? Outcome.OVERLOAD : Outcome.IGNORED)) {
        return;
      }
      long now = clock.getAsLong();
      grant.lane.refused(busy, now);
      Waiter w = grant.waiter;
      w.grant = null;
      if (now - w.enqueuedAt >= line.timeoutNanos()) {
        expired = w;
        w.next = null;
        retryAfter = retryAfterSeconds(now);
      } else {
        line.putBack(w);
        armSweep(now);
      }
      granted = drain(now);
      armWake(now);
    }
    Waiter.grantAll(granted);
    Waiter.rejectAll(expired, Rejection.TIMEOUT, retryAfter);
  }

  void connected(Grant grant) {
    Lane lane = grant.lane;
    if (lane.failures != 0) {
      synchronized (lock) {
        lane.failures = 0;
      }
    }
  }

  // ---- internals, all under lock

  /** The one place a permit ends: reports the sample and frees the slot, unless that was done already. */
  private boolean settle(Grant grant, Outcome outcome) {
    if (grant.done) {
      return false;
    }
    grant.done = true;
    long now = clock.getAsLong();
    Lane lane = grant.lane;
    lane.limit.onSample(now, now - grant.startNanos, grant.inflightAtStart, lane.inflight, line.depth(), outcome);
    lane.inflight--;
    return true;
  }

  /** Grants permits to waiting requests while some backend has room; returns them chained through {@code next}. */
  private Waiter drain(long now) {
    return drain(now, null);
  }

  /** As {@link #drain(long)}; the first slot, freed by a request of {@code home}, as {@link WaitingLine#nextFor}. */
  private Waiter drain(long now, Object home) {
    Waiter first = null;
    Waiter last = null;
    while (!line.isEmpty()) {
      Lane lane = pickLane(now);
      if (lane == null) {
        break;
      }
      Waiter w = first == null && home != null ? line.nextFor(now, home) : line.next(now);
      grant(w, lane, now);
      if (last == null) {
        first = w;
      } else {
        last.next = w;
      }
      last = w;
    }
    if (!line.isEmpty()) {
      armWake(now);
    }
    return first;
  }

  private Grant grant(Waiter w, Lane lane, long now) {
    lane.inflight++;
    w.grant = new Grant(this, lane, w, now, lane.inflight);
    w.next = null;
    return w.grant;
  }

  /** The backend with room and the fewest requests in flight, or {@code null}; ties go round-robin. */
  private Lane pickLane(long now) {
    Lane best = null;
    int n = lanes.length;
    for (int i = 0; i < n; i++) {
      Lane lane = lanes[(rotor + i) % n];
      if (lane.hasRoom(now) && (best == null || lane.inflight < best.inflight)) {
        best = lane;
      }
    }
    if (best != null) {
      rotor = (best.index + 1) % n;
    }
    return best;
  }

  /** Aims the expiry timer at the oldest waiter's deadline, unless it is aimed there or earlier already. */
  private void armSweep(long now) {
    if (line.isEmpty() || (sweepPending && sweepAt - line.nextExpiry() <= 0)) {
      return;
    }
    sweepPending = true;
    sweepAt = line.nextExpiry();
    long generation = ++sweepGeneration;
    scheduler.schedule(Math.max(0, sweepAt - now), () -> sweep(generation));
  }

  private void sweep(long generation) {
    Waiter expired;
    int retryAfter = 0;
    synchronized (lock) {
      if (generation != sweepGeneration) {
        return;
      }
      sweepPending = false;
      long now = clock.getAsLong();
      expired = line.expire(now);
      if (expired != null) {
        retryAfter = retryAfterSeconds(now);
      }
      armSweep(now);
    }
    Waiter.rejectAll(expired, Rejection.TIMEOUT, retryAfter);
  }

  /** When requests wait and a paused backend is what keeps them waiting, wakes up at the end of its pause. */
  private void armWake(long now) {
    long earliest = 0;
    boolean any = false;
    for (Lane lane : lanes) {
      if (lane.pausedWithRoom(now) && (!any || lane.pausedUntil - earliest < 0)) {
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
    Waiter granted;
    synchronized (lock) {
      if (generation != wakeGeneration) {
        return;
      }
      wakePending = false;
      granted = drain(clock.getAsLong());
    }
    Waiter.grantAll(granted);
  }

  private int retryAfterSeconds(long now) {
    return drainRate.retryAfterSeconds(now, line.depth(), line.timeoutNanos());
  }
}
