package io.sluice.limit;

import java.util.Objects;

/**
 * {@code limit: auto} — finds how many requests keep a backend's workers busy, from two signals that hold for
 * requests of any mix of costs and for every common backend shape.
 *
 * <p><b>Throughput over concurrency.</b> While the limit is what holds requests back (requests wait in Sluice's queue,
 * or every slot is taken), each window of samples gives the backend's throughput at this limit by Little's law,
 * {@code X = N / R}: N the requests in flight (the limit), R their mean round trip. A mean over a window, not a
 * minimum over minutes, so a cheap health check or an odd slow request moves it by its share and no more. Only
 * requests that started after the last change count (and, except after a doubling in slow start, which only adds
 * requests, one mean round trip later, once the backend has settled), so each window measures one limit. Then:
 * <ul>
 *   <li><i>Slow start</i> (from {@value #INITIAL}, first to four times that as far as the requests in flight and
 *       waiting reach): double the limit while each doubling raises X by at least half of proportionally
 *       ({@code (X2/X1 - 1) / (L2/L1 - 1) >= }{@value #GAIN}), and quadruple it, as far as the demand reaches, after a
 *       step that raised X nearly in proportion (at least {@value #PROPORTIONAL} of it: far below the knee). A step
 *       that falls short is judged again on a second window at the same limit (a cold process gets faster from one
 *       window to the next, and a plateau seen while the proxy warms up is not the backend's). When it stops paying,
 *       the knee lies between the last two limits, at about {@code L1 · X2 / X1}; the limit goes to
 *       {@value #HEADROOM} times that, capped at L2. Above the knee costs little — those requests would otherwise wait
 *       in Sluice's queue — while below it workers idle, and real knees are soft (gunicorn gthread, 8 threads: 5% more
 *       at 16 than at 11).</li>
 *   <li><i>A plateau is checked again</i>: on a small machine the proxy and the backend share the CPUs, and a cold
 *       process needs several times the CPU per request at first, so throughput can stop growing far below the
 *       backend's capacity. The first {@value #RECHECKS} probes after slow start stopped at a plateau double the
 *       limit instead of stepping it (after 1, 2 and 4 s: a probe that changes nothing doubles the wait); when
 *       doubling pays again, slow start resumes, and when it pays less, the limit goes up by {@value #HEADROOM} times
 *       the share it gained (the limit it started from was already chosen with headroom).</li>
 *   <li><i>Probing</i>: after {@value #HOLD_WINDOWS} windows and {@value #HOLD_SECONDS} s at one limit, one step of an
 *       eighth (at least 1): up three times in four, down the fourth. A step up is kept when two windows both gain at
 *       least half of proportionally over the limit's running throughput (and far below the knee — nearly
 *       proportional — slow start resumes); a step down is kept when two windows both lose less than a
 *       {@value #LOSS} share of proportionally. Otherwise the limit goes back at the first window that fails.</li>
 * </ul>
 *
 * <p><b>A backend that answers in microseconds.</b> Holding a request back saves it a wait at the backend, and costs
 * Sluice a queue, a hand-over between event loops and smaller batches. While the mean round trip stays under
 * 2 ms, that wait is smaller than the cost, so the backend gets as many requests as it answers in
 * that time (throughput times 2 ms; for 50,000 requests a second, 100), at most doubling at a time
 * ({@link Reason#QUICK}): a plateau does not stop slow start, a probe up is kept unless throughput falls by more than
 * a {@value #LOSS} share, and no probe goes down. A process that starts cold, or a machine that is busy for a while,
 * shows longer round trips at first: the limit follows its throughput up once it is warm. Where the backend's queue
 * decides, it decides alone.
 *
 * <p><b>The backend's accept queue.</b> Where the kernel shows it (a local prefork backend: uWSGI, gunicorn sync), the
 * queue is the ground truth of "every worker is busy", and no round trip is needed: a queue that stays above
 * {@value AcceptQueue#HIGH} cuts the limit to what the backend holds, and an empty one while requests wait grows it
 * ({@link AcceptQueue#wanted}). Once a backend has shown a real queue (the smoothed depth above
 * {@value AcceptQueue#HIGH}, with connections waiting on two readings in a row; kept up by any reading above 0 within
 * {@value AcceptQueue#MEMORY_SECONDS} s), its queue alone decides and probing stops. Nor does slow start take a step
 * that fell short for a plateau before a reading after the step shows no more than {@value AcceptQueue#HIGH} waiting:
 * an async worker short of CPU accepts a burst of new connections late, and where the backend is full, its queue
 * decides. A backend that accepts eagerly (threads or async workers, keep-alive connections) shows at most a
 * connection or two for a moment, when its accepting thread lags: that decides nothing, or an empty queue would grow
 * its limit without end, and throughput decides.
 *
 * <p><b>Drops.</b> A connect refused because the backend's queue overflowed is evidence of overload by itself: the
 * limit goes to 80% of what was in flight, once per change. A timeout is not: it counts only when a step up brings a
 * higher share of timeouts than the level below it had ({@link Reason#TIMEOUTS}), and the step is undone.
 *
 * <p>Samples with no demand behind them (fewer than nine in ten windows' samples found the limit binding) teach
 * nothing, so an idle period changes nothing. Every move is reported to the {@link LimitListener} with its
 * {@link Reason}.
 *
 * <p>Not thread-safe: the dispatcher calls it under its lock.
 */
public final class AdaptiveLimit implements Limit {

  static final int INITIAL = 4;
  static final int MIN = 1;
  static final int MAX = 1000;
  static final double GAIN = 0.5;
  static final double LOSS = 0.1;
  static final double HEADROOM = 1.5;
  /** A step that raised throughput by at least this share of proportionally lies far below the knee. */
  static final double PROPORTIONAL = 0.9;
  static final int HOLD_WINDOWS = 4;
  static final int HOLD_SECONDS = 2;
  static final int MAX_HOLD_SECONDS = 64;
  static final int RECHECKS = 3;
  /** The wait before the first recheck: a cold process warms within seconds. */
  static final int RECHECK_SECONDS = 1;
  /** Round trips shorter than this are not worth holding requests back for, while throughput does not fall. */
  static final long QUICK_NANOS = 2_000_000L;
  private static final double BINDING_SHARE = 0.9;
  private static final double TIMEOUT_MARGIN = 0.02;
  private static final long SECOND = 1_000_000_000L;

  /** RECHECK: a probe up that doubles the limit, after slow start stopped at a plateau. */
  private enum Phase { SLOW_START, HOLD, PROBE_UP, RECHECK, PROBE_DOWN }

  private final LimitListener listener;
  private int limit = INITIAL;
  private Phase phase = Phase.SLOW_START;
  private long changedAt;
  private boolean changed;
  /** Samples that started before this belong to the previous limit, or to the moment of change. */
  private long countFrom;
  private Decision last;
  /** Samples that started after the last change. */
  private final Window window = new Window();

  // Slow start: the level before this one.
  private int prevLimit;
  private double prevThroughput;
  private double prevTimeouts;

  // Holding: the running throughput and timeout share at this limit; probing: where the probe started.
  private double holdThroughput;
  private double holdTimeouts;
  private int holdWindows;
  private int probeFrom;
  private int probePassed;
  private int probes;
  /** Doubling probes left to try, after slow start stopped at a plateau. */
  private int rechecks;
  /** Time between probes: doubles after each probe that changed nothing, back to the least after any move kept. */
  private int holdSeconds = HOLD_SECONDS;
  /** Probes below this are not tried: it is the limit last chosen from a measured knee. */
  private int floor = MIN;
  /** Requests in flight and waiting when the last sample ended. */
  private int demand;
  /** Slow start measured this limit once and found a plateau: one more window decides. */
  private boolean secondLook;

  // The backend's accept queue.
  private final AcceptQueue queue = new AcceptQueue();

  public AdaptiveLimit() {
    this(LimitListener.NONE);
  }

  /** @param listener told of every move, under the dispatcher's lock */
  public AdaptiveLimit(LimitListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  @Override
  public int current() {
    return limit;
  }

  @Override
  public String setting() {
    return "auto";
  }

  @Override
  public Decision lastDecision() {
    return last;
  }

  @Override
  public void onSample(long nowNanos, long rttNanos, int inflightAtStart, int inflight, int waiting,
      Outcome outcome) {
    if (outcome == Outcome.IGNORED || (changed && nowNanos - rttNanos - countFrom < 0)) {
      // Says nothing, or started under another limit or while the backend was settling to this one.
      return;
    }
    switch (outcome) {
      case OVERLOAD -> {
        int to = Math.max(MIN, (int) (Math.min(limit, inflight) * 0.8));
        if (to < limit) {
          floor = Math.min(floor, to);
          change(nowNanos, to, Reason.OVERFLOW);
          hold();
          holdSeconds = HOLD_SECONDS;
        }
      }
      case TIMEOUT -> window.timeout();
      case SUCCESS -> {
        demand = inflight + waiting;
        window.success(rttNanos, inflight, limiting(inflight, waiting));
        if (window.samples() >= window.size(limit, phase == Phase.SLOW_START || phase == Phase.RECHECK)) {
          endWindow(nowNanos);
        }
      }
      default -> { }
    }
  }

  @Override
  public void onBackendQueue(long nowNanos, int depth, int inflight, int waiting, boolean connectionsKept, int open) {
    boolean limiting = limiting(inflight, waiting);
    queue.read(nowNanos, depth, connectionsKept ? Math.max(inflight, open) : inflight, limiting);
    int to = queue.wanted(nowNanos, limit, inflight, limiting, connectionsKept);
    if (to != limit) {
      if (to < limit) {
        floor = Math.min(floor, to);
      }
      change(nowNanos, to, to < limit ? Reason.BACKEND_QUEUE : Reason.BACKEND_IDLE);
      hold();
    }
  }

  /** Whether the limit is what holds requests back: some wait in Sluice's queue, or every slot is taken. */
  private boolean limiting(int inflight, int waiting) {
    return waiting > 0 || inflight >= limit;
  }

  private void endWindow(long now) {
    boolean valid = window.close(BINDING_SHARE);
    double throughput = window.throughput();
    double timeoutShare = window.timeoutShare();
    if (!valid) {
      return;
    }
    switch (phase) {
      case SLOW_START -> slowStart(now, throughput, timeoutShare);
      case HOLD -> {
        holdThroughput = holdWindows == 0 ? throughput : holdThroughput + 0.25 * (throughput - holdThroughput);
        holdTimeouts = holdWindows == 0 ? timeoutShare : holdTimeouts + 0.25 * (timeoutShare - holdTimeouts);
        holdWindows++;
        int quick = (int) Math.min(MAX, throughput * QUICK_NANOS / SECOND);
        if (quick > limit && !queue.decides(now)) {
          change(now, Math.min(quick, 2 * limit), Reason.QUICK);
          hold();
        } else if (holdWindows >= HOLD_WINDOWS && now - changedAt >= holdSeconds * SECOND && !queue.decides(now)) {
          probe(now);
        }
      }
      case PROBE_UP, RECHECK -> {
        boolean moreTimeouts = timeoutShare > holdTimeouts + TIMEOUT_MARGIN;
        double efficiency = (throughput / holdThroughput - 1) / ((double) limit / probeFrom - 1);
        if ((efficiency < GAIN || moreTimeouts) && !quick(throughput, holdThroughput, moreTimeouts)) {
          int to = probeFrom;
          if (phase == Phase.RECHECK && !moreTimeouts) {
            // What the doubling gained shows how far above probeFrom, itself chosen with headroom, the knee lies.
            double gain = Math.max(0, throughput / holdThroughput - 1);
            to = Math.min(limit, (int) Math.ceil(probeFrom * (1 + gain * HEADROOM)));
            floor = Math.max(floor, to);
          }
          change(now, to, moreTimeouts ? Reason.TIMEOUTS : Reason.PLATEAU);
          hold();
          holdSeconds = Math.min(MAX_HOLD_SECONDS, holdSeconds * 2);
        } else if (++probePassed >= 2) {
          if (efficiency >= PROPORTIONAL || phase == Phase.RECHECK) {
            // Nearly proportional, or a doubling that pays after a plateau: far below the knee, so ramp again.
            phase = Phase.SLOW_START;
            prevLimit = limit;
            prevThroughput = throughput;
            prevTimeouts = timeoutShare;
            change(now, Math.min(MAX, limit * 2), Reason.SLOW_START);
          } else {
            floor = limit;
            holdAt(throughput, timeoutShare);
          }
        }
      }
      case PROBE_DOWN -> {
        double loss = (1 - throughput / holdThroughput) / (1 - (double) limit / probeFrom);
        if (loss > LOSS) {
          change(now, probeFrom, Reason.PROBE_LOST);
          hold();
          holdSeconds = Math.min(MAX_HOLD_SECONDS, holdSeconds * 2);
        } else if (++probePassed >= 2) {
          holdAt(throughput, timeoutShare);
        }
      }
      default -> { }
    }
  }

  private void slowStart(long now, double throughput, double timeoutShare) {
    int step = 2 * limit;
    if (prevThroughput == 0) {
      // The first step, with nothing to compare with: a backend of two workers holds 16 in its queue for the moment
      // its queue or a plateau takes to cut them back, and every larger one gets there in one step less.
      step = Math.max(step, Math.min(4 * limit, demand));
    } else {
      double efficiency = (throughput / prevThroughput - 1) / ((double) limit / prevLimit - 1);
      boolean moreTimeouts = timeoutShare > prevTimeouts + TIMEOUT_MARGIN;
      if ((efficiency < GAIN || moreTimeouts) && !quick(throughput, prevThroughput, moreTimeouts)) {
        if (!moreTimeouts && now - changedAt < SECOND && queue.waitingSince(changedAt)) {
          // The backend may not have taken them all yet: it accepts late (an async worker short of CPU, measured:
          // 45 of 128 connections for 300 ms), or it is full and its queue cuts the limit within two readings.
          return;
        }
        if (!secondLook && !moreTimeouts) {
          secondLook = true;
          return;
        }
        int to = knee(prevLimit, throughput / prevThroughput);
        floor = to;
        hold();
        rechecks = moreTimeouts ? 0 : RECHECKS;
        if (rechecks > 0) {
          holdSeconds = RECHECK_SECONDS;
        }
        if (to != limit) {
          change(now, to, moreTimeouts ? Reason.TIMEOUTS : Reason.PLATEAU);
        }
        return;
      }
      if (efficiency >= PROPORTIONAL) {
        // As far as the demand reaches: a process still warming up makes the step look better than it was.
        step = Math.max(step, Math.min(4 * limit, demand));
      }
    }
    if (limit >= MAX) {
      hold();
      return;
    }
    prevLimit = limit;
    prevThroughput = throughput;
    prevTimeouts = timeoutShare;
    change(now, Math.min(MAX, step), Reason.SLOW_START);
  }

  /**
   * The limit for a knee found between {@code below} and the current limit, where going from one to the other raised
   * throughput by the factor {@code gain}: {@value #HEADROOM} times {@code below · gain}, at most the current limit.
   */
  private int knee(int below, double gain) {
    return Math.max(MIN, Math.min(limit, (int) Math.ceil(below * Math.max(1, gain) * HEADROOM)));
  }

  private void probe(long now) {
    if (rechecks > 0 && limit < MAX) {
      rechecks--;
      probeFrom = limit;
      probePassed = 0;
      phase = Phase.RECHECK;
      change(now, Math.min(MAX, limit * 2), Reason.PROBE);
      return;
    }
    int step = Math.max(1, Math.round(limit / 8f));
    // A step down could only move requests from the backend, where they wait less than they cost here, into the queue.
    boolean down = ++probes % 4 == 0 && window.meanRtt() >= QUICK_NANOS;
    int to = down ? limit - step : limit + step;
    if (to < Math.max(MIN, floor) || to > MAX) {
      holdWindows = 0;
      return;
    }
    probeFrom = limit;
    probePassed = 0;
    phase = down ? Phase.PROBE_DOWN : Phase.PROBE_UP;
    change(now, to, Reason.PROBE);
  }

  /**
   * Whether the window just measured keeps a higher limit although it did not raise throughput enough: round trips
   * under 2 ms ({@link #QUICK_NANOS}), no more timeouts, and no more than a {@value #LOSS} share less throughput than
   * {@code before}.
   */
  private boolean quick(double throughput, double before, boolean moreTimeouts) {
    return window.meanRtt() < QUICK_NANOS && !moreTimeouts && throughput >= (1 - LOSS) * before;
  }

  /** Holds at the current limit, learning its throughput afresh. */
  private void hold() {
    phase = Phase.HOLD;
    holdWindows = 0;
  }

  /** Holds at the current limit, whose throughput a probe just measured to be better. */
  private void holdAt(double throughput, double timeoutShare) {
    phase = Phase.HOLD;
    holdSeconds = HOLD_SECONDS;
    holdWindows = 1;
    holdThroughput = throughput;
    holdTimeouts = timeoutShare;
  }

  private void change(long now, int to, Reason reason) {
    int from = limit;
    limit = to;
    changedAt = now;
    changed = true;
    secondLook = false;
    countFrom = reason == Reason.SLOW_START ? now : now + (long) window.meanRtt();
    window.reset();
    if (to != from) {
      last = new Decision(now, from, to, reason);
      listener.changed(last);
    }
  }

  @Override
  public String toString() {
    return "AdaptiveLimit[" + limit + ", " + phase + "]";
  }
}
