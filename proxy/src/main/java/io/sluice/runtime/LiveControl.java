package io.sluice.runtime;

import io.sluice.admin.Control;
import io.sluice.admin.InvalidLimitsException;
import io.sluice.admin.Limits;
import io.sluice.backend.Upstream;
import io.sluice.backend.Upstreams;
import io.sluice.buffer.BufferBudget;
import io.sluice.config.BackendConfig;
import io.sluice.config.Durations;
import io.sluice.config.LimitSetting;
import io.sluice.config.SluiceConfig;
import io.sluice.kernel.FdLimit;
import io.sluice.kernel.KernelSampler;
import io.sluice.limit.Decision;
import io.sluice.queue.Dispatcher;
import io.sluice.queue.LaneSnapshot;
import io.sluice.queue.QueueSnapshot;
import io.sluice.server.RequestOutcome;
import io.sluice.server.Stats;
import io.sluice.status.Status;
import io.vertx.core.Future;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The runtime side of the admin API: applies new limits whole (validate everything, then change the kernel
 * backlogs, the queue and the backends, the backlogs rolled back if the kernel refuses one), and assembles status.
 * {@link #apply} is serialised; {@link #status} takes no lock of its own (a PATCH in progress never holds it up).
 */
final class LiveControl implements Control {

  private static final System.Logger LOG = System.getLogger(LiveControl.class.getName());

  private final List<LiveListener> listeners;
  private final Backlogs backlogs;
  private final Upstreams upstreams;
  private final Stats stats;
  private final KernelSampler sampler;
  private final IntSupplier fdHeadroom;
  private final LongSupplier clock;
  private final BufferBudget buffers;
  private volatile Limits limits;
  private volatile int effectiveQueueMax;

  /**
   * @param fdHeadroom what {@code queue.max: max} resolves to now
   * @param clock      the dispatcher's clock, which limits' decisions are timed on
   * @param buffers    what buffered bodies hold, for status
   */
  LiveControl(Limits initial, List<LiveListener> listeners, Backlogs backlogs, int effectiveQueueMax,
      Upstreams upstreams, Stats stats, KernelSampler sampler, IntSupplier fdHeadroom, LongSupplier clock,
      BufferBudget buffers) {
    this.limits = initial;
    this.listeners = List.copyOf(listeners);
    this.backlogs = backlogs;
    this.effectiveQueueMax = effectiveQueueMax;
    this.upstreams = upstreams;
    this.stats = stats;
    this.sampler = sampler;
    this.fdHeadroom = fdHeadroom;
    this.clock = clock;
    this.buffers = buffers;
  }

  @Override
  public Limits limits() {
    return limits;
  }

  int effectiveQueueMax() {
    return effectiveQueueMax;
  }

  /**
   * Applies new limits whole. Blocking (it calls {@code listen(2)} and reads {@code /proc/self/fd} for
   * {@code queue.max: max}): call it on a worker thread. The descriptors are counted before the lock is taken, so the
   * lock is held only while the limits change; {@link #status} takes no lock of its own and never waits for this.
   */
  @Override
  public Limits apply(Limits next) throws InvalidLimitsException {
    int headroom = next.queueMax().isMax() ? fdHeadroom.getAsInt() : 0;
    synchronized (this) {
      return applyLocked(next, headroom);
    }
  }

  private Limits applyLocked(Limits next, int headroom) throws InvalidLimitsException {
    Limits current = limits;
    for (String name : next.backends().keySet()) {
      if (!current.backends().containsKey(name)) {
        throw new InvalidLimitsException(404, "backends." + name + ": no such backend (known: "
            + String.join(", ", current.backends().keySet()) + ")");
      }
    }
    int queueMax = next.queueMax().isMax() ? headroom : next.queueMax().value();
    int backlog = backlogs.apply(next.backlog());
    Dispatcher dispatcher = upstreams.dispatcher();
    dispatcher.setMaxDepth(queueMax);
    effectiveQueueMax = queueMax;
    dispatcher.setTimeoutNanos(next.queueTimeout().toNanos());
    dispatcher.setTargetNanos(next.queueTarget().toNanos());
    if (next.discipline() != current.discipline()) {
      dispatcher.setLine(Policies.newLine(next.discipline(), queueMax, next.queueTimeout(), next.queueTarget()));
    }
    for (Upstream u : upstreams.all()) {
      String name = u.config().name();
      LimitSetting before = current.backends().get(name);
      LimitSetting after = next.backends().getOrDefault(name, before);
      if (!after.equals(before)) {
        // An auto limit that stays auto keeps what it learned; anything else starts afresh.
        dispatcher.setLimit(u.lane(), Policies.newLimit(after, u.limitListener()));
        // A lower limit closes the idle connections over it now.
        u.connector().trim();
      }
    }
    Map<String, LimitSetting> merged = new LinkedHashMap<>(current.backends());
    merged.putAll(next.backends());
    limits = new Limits(next.backlog(), next.queueMax(), next.queueTimeout(), merged, next.discipline(),
        next.queueTarget());
    LOG.log(Level.INFO, "limits now: backlog " + next.backlog() + " (" + backlog + "), queue max " + next.queueMax()
        + " (" + queueMax + "), queue timeout " + Durations.format(next.queueTimeout()) + ", discipline "
        + next.discipline() + " (target " + Durations.format(next.queueTarget()) + "), backend limits " + merged);
    return limits;
  }

  @Override
  public Status status() {
    Limits l = limits;
    QueueSnapshot q = upstreams.dispatcher().snapshot();
    KernelSampler.Readings kernel = sampler.readings();
    List<Status.Listener> ls = new ArrayList<>();
    for (LiveListener listener : listeners) {
      ls.add(new Status.Listener(listener.address().toString(), l.backlog().toString(), listener.backlog(),
          kernel.somaxconn(), listener.kernelQueue()));
    }
    long now = clock.getAsLong();
    List<Status.Backend> bs = new ArrayList<>();
    for (Upstream u : upstreams.all()) {
      BackendConfig c = u.config();
      LaneSnapshot lane = q.backends().get(u.lane().index());
      Decision d = lane.lastDecision();
      Status.LimitDecision last = d == null ? null : new Status.LimitDecision(d.direction(), d.reason().label(),
          d.from(), d.to(), Math.max(0, (now - d.atNanos()) / 1_000_000));
      bs.add(new Status.Backend(c.name(), c.address().toString(), c.protocol().id(), lane.setting(), lane.limit(),
          lane.inflight(), lane.paused(), u.kernelQueue(), last, u.limitChanges(),
          new Status.Connections(u.connector().openConnections(), u.connector().idleConnections()), u.retries()));
    }
    Map<String, Long> byOutcome = new LinkedHashMap<>();
    for (RequestOutcome o : RequestOutcome.values()) {
      byOutcome.put(o.label(), stats.count(o));
    }
    FdLimit fd = kernel.fdLimit();
    return new Status(ls,
        new Status.Queue(q.depth(), q.peak(), l.queueMax().toString(), q.maxDepth(), q.timeoutNanos() / 1_000_000,
            q.oldestWaitNanos() / 1_000_000, q.drainPerSecond(), q.discipline(), q.targetNanos() / 1_000_000,
            q.overloaded(), q.modeAgeNanos() < 0 ? -1 : q.modeAgeNanos() / 1_000_000),
        bs, new Status.Totals(stats.received(), byOutcome), new Status.Fds(fd.soft(), fd.hard(), kernel.openFds()),
        new Status.Buffers(buffers.memoryUsed(), buffers.diskUsed(), buffers.memoryLimit(), buffers.diskLimit()));
  }

  /**
   * Ready when at least one backend is, by {@link io.sluice.backend.Readiness}: from what recent traffic showed of
   * it, with a probe of a backend only after a quiet spell, at most once per interval. Never a connection per call.
   */
  @Override
  public Future<Boolean> ready() {
    List<Future<Boolean>> each = new ArrayList<>();
    for (Upstream u : upstreams.all()) {
      Future<Boolean> r = u.readiness().ready();
      if (r.isComplete() && Boolean.TRUE.equals(r.result())) {
        return r;
      }
      each.add(r);
    }
    return Future.join(each).transform(ar -> {
      for (Future<Boolean> r : each) {
        if (r.succeeded() && Boolean.TRUE.equals(r.result())) {
          return Future.succeededFuture(true);
        }
      }
      return Future.succeededFuture(false);
    });
  }

  /** The limits a configuration starts with. */
  static Limits initial(SluiceConfig config) {
    return Limits.of(config);
  }
}
