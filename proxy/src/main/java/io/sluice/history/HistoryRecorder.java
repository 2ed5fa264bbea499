package io.sluice.history;

import io.sluice.kernel.KernelQueue;
import io.sluice.status.Status;
import java.util.Objects;
import java.util.function.Function;

/**
 * Turns a status snapshot a second into a point of the {@link History}, and what changed since the previous one into
 * events:
 * <ul>
 *   <li>{@code limit}: a backend's limit moved (its count of moves grew; the text is its last decision, such as
 *       {@code ↑ 8 slow_start}, and {@code count} how many moves the second held), or its setting was changed over
 *       the admin API ({@code set to 4});</li>
 *   <li>{@code down} and {@code up}: a backend went into connect backoff (it refused a connection, or its accept
 *       queue was full) or came out of it;</li>
 *   <li>{@code mode}: the queue's overload mode changed, when status carries one (see
 *       {@link #HistoryRecorder(History, WaitWindow, Function)}).</li>
 * </ul>
 * Rates are the growth of status's counters over the time between the two snapshots, per second. A call less than
 * half a second after the previous one records nothing.
 *
 * <p>Not thread-safe: {@link #sample} is called from one thread, once a second (the runtime's periodic timer on an
 * event loop). It takes no lock but the history's, for a copy of its point, which is preallocated and reused.
 */
public final class HistoryRecorder {

  /** Samples closer than half a step to the previous one are dropped. */
  private static final long MIN_GAP_NANOS = History.STEP_MILLIS * 1_000_000 / 2;

  private final History history;
  private final WaitWindow waits;
  private final Function<Status, String> queueMode;
  private final History.Point point;

  private boolean first = true;
  private long lastNanos;
  private long lastReceived;
  private final long[] lastOutcomes;
  private final long[] lastLimitMoves;
  private final String[] lastSetting;
  private final boolean[] lastPaused;
  private String lastMode;

  /** A recorder for a status without an overload mode. */
  public HistoryRecorder(History history, WaitWindow waits) {
    this(history, waits, s -> null);
  }

  /**
   * @param queueMode the queue's overload mode in a snapshot ({@code normal}, {@code overloaded}), or {@code null}
   *                  where status has none; each change of it is marked as a {@code mode} event. This is the hook
   *                  for the overload discipline: once {@code Status.Queue} carries its mode, the runtime passes
   *                  {@code s -> s.queue().mode()} here.
   */
  public HistoryRecorder(History history, WaitWindow waits, Function<Status, String> queueMode) {
    this.history = Objects.requireNonNull(history, "history");
    this.waits = Objects.requireNonNull(waits, "waits");
    this.queueMode = Objects.requireNonNull(queueMode, "queueMode");
    this.point = new History.Point(history);
    int backends = history.backends().size();
    lastOutcomes = new long[history.outcomes().size()];
    lastLimitMoves = new long[backends];
    lastSetting = new String[backends];
    lastPaused = new boolean[backends];
  }

  /**
   * Records one point.
   *
   * @param s           the status now
   * @param epochMillis the wall clock now: the point's time
   * @param nanos       a monotonic clock now: rates are taken over the time since the previous call
   */
  public void sample(Status s, long epochMillis, long nanos) {
    if (!first && nanos - lastNanos < MIN_GAP_NANOS) {
      // A periodic timer that fell behind (a long pause) fires its missed runs back to back: one point per step.
      return;
    }
    waits.roll();
    double seconds = first ? Double.NaN : (nanos - lastNanos) / 1e9;
    History.Point p = point;
    p.t = epochMillis;
    p.depth = s.queue().depth();
    p.drain = (float) s.queue().drainPerSecond();
    p.waitP50 = (float) waits.p50Millis();
    p.waitP99 = (float) waits.p99Millis();
    p.oldestWait = s.queue().oldestWaitMs();
    p.received = rate(s.totals().received() - lastReceived, seconds);
    lastReceived = s.totals().received();
    int o = 0;
    for (String label : history.outcomes()) {
      long count = s.totals().byOutcome().getOrDefault(label, 0L);
      p.outcomes[o] = rate(count - lastOutcomes[o], seconds);
      lastOutcomes[o++] = count;
    }
    int n = Math.min(history.backends().size(), s.backends().size());
    for (int b = 0; b < n; b++) {
      Status.Backend backend = s.backends().get(b);
      p.limit[b] = backend.limitCurrent();
      p.inflight[b] = backend.inflight();
      p.backendQueue[b] = depth(backend.kernelQueue());
      backendEvents(b, backend, epochMillis);
    }
    for (int l = 0; l < Math.min(history.listeners().size(), s.listeners().size()); l++) {
      p.listenerQueue[l] = depth(s.listeners().get(l).kernelQueue());
    }
    modeEvent(s, epochMillis);
    history.add(p);
    lastNanos = nanos;
    first = false;
  }

  private void backendEvents(int b, Status.Backend backend, long t) {
    long moves = 0;
    for (Status.LimitChange c : backend.limitChanges()) {
      moves += c.count();
    }
    long moved = moves - lastLimitMoves[b];
    lastLimitMoves[b] = moves;
    Status.LimitDecision d = backend.lastDecision();
    if (moved > 0 && d != null) {
      int count = (int) Math.min(moved, Integer.MAX_VALUE);
      String text = (d.direction().equals("up") ? "\u2191 " : "\u2193 ") + d.to() + " " + d.reason()
          + (count > 1 ? " (" + count + " moves)" : "");
      history.add(new History.Event(t, History.Event.LIMIT, backend.name(), text, count));
    } else if (!first && !backend.limitSetting().equals(lastSetting[b])) {
      history.add(new History.Event(t, History.Event.LIMIT, backend.name(), "set to " + backend.limitSetting(), 1));
    }
    lastSetting[b] = backend.limitSetting();
    if (backend.paused() != lastPaused[b]) {
      history.add(backend.paused()
          ? new History.Event(t, History.Event.DOWN, backend.name(), "refusing connections: in backoff", 1)
          : new History.Event(t, History.Event.UP, backend.name(), "taking connections again", 1));
      lastPaused[b] = backend.paused();
    }
  }

  private void modeEvent(Status s, long t) {
    String mode = queueMode.apply(s);
    if (mode != null && lastMode != null && !mode.equals(lastMode)) {
      history.add(new History.Event(t, History.Event.MODE, null, "queue " + mode, 1));
    }
    if (mode != null) {
      lastMode = mode;
    }
  }

  private static float rate(long delta, double seconds) {
    return Double.isNaN(seconds) || seconds <= 0 ? Float.NaN : (float) (delta / seconds);
  }

  private static int depth(KernelQueue q) {
    return q instanceof KernelQueue.Known k ? k.depth() : -1;
  }
}
