package io.sluice;

import io.sluice.admin.Control;
import io.sluice.admin.InvalidLimitsException;
import io.sluice.admin.Limits;
import io.sluice.backend.Backend;
import io.sluice.config.Address;
import io.sluice.config.BackendConfig;
import io.sluice.config.LimitSetting;
import io.sluice.config.MaxOr;
import io.sluice.kernel.FdLimit;
import io.sluice.kernel.KernelQueue;
import io.sluice.kernel.ListenerSocket;
import io.sluice.kernel.Listeners;
import io.sluice.net.Sockets;
import io.sluice.queue.Dispatcher;
import io.sluice.server.RequestOutcome;
import io.sluice.server.Stats;
import io.sluice.status.Status;
import io.vertx.core.Future;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * The runtime side of the admin API: applies new limits whole (validate everything, then change the kernel
 * backlogs, the queue and the backends, rolling the backlogs back if the kernel refuses one), and assembles status.
 * {@link #apply} is serialised; {@link #status} takes no lock of its own.
 */
final class LiveControl implements Control {

  private static final System.Logger LOG = System.getLogger(LiveControl.class.getName());

  private final List<Address> listenAddresses;
  private final Dispatcher dispatcher;
  private final List<Backend> backends;
  private final Stats stats;
  private final KernelSampler sampler;
  private final Listeners kernel;
  private final IntSupplier fdHeadroom;
  private final int[] effectiveBacklogs;
  private volatile Limits limits;
  private volatile int effectiveQueueMax;

  LiveControl(Limits initial, List<Address> listenAddresses, List<Integer> backlogs, int effectiveQueueMax,
      Dispatcher dispatcher, List<Backend> backends, Stats stats, KernelSampler sampler, Listeners kernel,
      IntSupplier fdHeadroom) {
    this.limits = initial;
    this.listenAddresses = List.copyOf(listenAddresses);
    this.effectiveBacklogs = backlogs.stream().mapToInt(Integer::intValue).toArray();
    this.effectiveQueueMax = effectiveQueueMax;
    this.dispatcher = dispatcher;
    this.backends = backends;
    this.stats = stats;
    this.sampler = sampler;
    this.kernel = kernel;
    this.fdHeadroom = fdHeadroom;
  }

  @Override
  public Limits limits() {
    return limits;
  }

  int effectiveQueueMax() {
    return effectiveQueueMax;
  }

  synchronized List<Integer> effectiveBacklogs() {
    List<Integer> out = new ArrayList<>();
    for (int b : effectiveBacklogs) {
      out.add(b);
    }
    return out;
  }

  @Override
  public synchronized Limits apply(Limits next) throws InvalidLimitsException {
    Limits current = limits;
    for (String name : next.backends().keySet()) {
      if (!current.backends().containsKey(name)) {
        throw new InvalidLimitsException(404, "backends." + name + ": no such backend (known: "
            + String.join(", ", current.backends().keySet()) + ")");
      }
    }
    int somaxconn = readSomaxconn();
    int backlog = next.backlog().isMax() ? somaxconn : next.backlog().value();
    if (!next.backlog().isMax() && backlog > somaxconn) {
      throw new InvalidLimitsException(400, "backlog: " + Sluice.somaxconnMessage(backlog, somaxconn));
    }
    int queueMax = next.queueMax().isMax() ? fdHeadroom.getAsInt() : next.queueMax().value();

    setBacklogs(backlog);
    dispatcher.setMaxDepth(queueMax);
    effectiveQueueMax = queueMax;
    dispatcher.setTimeoutNanos(next.queueTimeout().toNanos());
    for (Backend b : backends) {
      String name = b.config().name();
      LimitSetting before = current.backends().get(name);
      LimitSetting after = next.backends().getOrDefault(name, before);
      if (!after.equals(before)) {
        // An auto limit that stays auto keeps what it learned; anything else starts afresh.
        dispatcher.setLimit(b.index(), Sluice.newLimit(after));
      }
    }
    Map<String, LimitSetting> merged = new LinkedHashMap<>(current.backends());
    merged.putAll(next.backends());
    limits = new Limits(next.backlog(), next.queueMax(), next.queueTimeout(), merged);
    LOG.log(Level.INFO, "limits now: backlog " + next.backlog() + " (" + backlog + "), queue max " + next.queueMax()
        + " (" + queueMax + "), queue timeout " + io.sluice.config.Durations.format(next.queueTimeout())
        + ", backend limits " + merged);
    return limits;
  }

  /** {@code backlog: max} follows {@code net.core.somaxconn}: called when the sampler sees it change. */
  synchronized void somaxconnChanged(int somaxconn) {
    if (!limits.backlog().isMax()) {
      return;
    }
    try {
      setBacklogs(somaxconn);
      LOG.log(Level.INFO, "backlog max re-applied: " + somaxconn);
    } catch (InvalidLimitsException e) {
      LOG.log(Level.WARNING, "cannot re-apply backlog max = " + somaxconn + ": " + e.getMessage());
    }
  }

  /** Calls listen(2) again on every listener whose backlog differs; undoes them all if one fails. */
  private void setBacklogs(int backlog) throws InvalidLimitsException {
    List<Integer> changed = new ArrayList<>();
    try {
      for (int i = 0; i < listenAddresses.size(); i++) {
        if (effectiveBacklogs[i] != backlog) {
          kernel.relisten(find(listenAddresses.get(i)), backlog);
          changed.add(i);
        }
      }
    } catch (IOException e) {
      for (int i : changed) {
        try {
          kernel.relisten(find(listenAddresses.get(i)), effectiveBacklogs[i]);
        } catch (IOException undo) {
          LOG.log(Level.ERROR, "cannot restore the backlog of " + listenAddresses.get(i) + ": " + undo.getMessage());
        }
      }
      throw new InvalidLimitsException(500, "backlog: the kernel refused listen(" + backlog + "): " + e.getMessage());
    }
    for (int i : changed) {
      effectiveBacklogs[i] = backlog;
    }
  }

  private ListenerSocket find(Address a) throws IOException {
    java.net.SocketAddress at = Sockets.kernelAddress(a);
    return at instanceof UnixDomainSocketAddress u ? kernel.findUnix(u.getPath()) : kernel.findTcp((InetSocketAddress) at);
  }

  private int readSomaxconn() throws InvalidLimitsException {
    try {
      return kernel.somaxconn();
    } catch (IOException e) {
      throw new InvalidLimitsException(500, "backlog: cannot read net.core.somaxconn: " + e.getMessage());
    }
  }

  @Override
  public Status status() {
    Limits l = limits;
    Dispatcher.Snapshot q = dispatcher.snapshot();
    List<KernelQueue> listenerQueues = sampler.listenerQueues();
    List<KernelQueue> backendQueues = sampler.backendQueues();
    int somaxconn = sampler.somaxconn();
    List<Status.Listener> listeners = new ArrayList<>();
    int[] backlogs;
    synchronized (this) {
      backlogs = effectiveBacklogs.clone();
    }
    for (int i = 0; i < listenAddresses.size(); i++) {
      listeners.add(new Status.Listener(listenAddresses.get(i).toString(), l.backlog().toString(), backlogs[i],
          somaxconn, listenerQueues.get(i)));
    }
    List<Status.Backend> bs = new ArrayList<>();
    for (Backend b : backends) {
      BackendConfig c = b.config();
      Dispatcher.LaneSnapshot lane = q.backends().get(b.index());
      bs.add(new Status.Backend(c.name(), c.address().toString(), c.protocol().id(), lane.setting(), lane.limit(),
          lane.inflight(), lane.paused(), backendQueues.get(b.index())));
    }
    Map<String, Long> byOutcome = new LinkedHashMap<>();
    for (RequestOutcome o : RequestOutcome.values()) {
      byOutcome.put(o.label(), stats.count(o));
    }
    FdLimit fd = sampler.fdLimit();
    return new Status(listeners,
        new Status.Queue(q.depth(), q.peak(), l.queueMax().toString(), q.maxDepth(), q.timeoutNanos() / 1_000_000,
            q.oldestWaitNanos() / 1_000_000, q.drainPerSecond()),
        bs, new Status.Totals(stats.received(), byOutcome), new Status.Fds(fd.soft(), fd.hard(), sampler.openFds()));
  }

  @Override
  public Future<Boolean> ready() {
    List<Future<Boolean>> probes = new ArrayList<>();
    for (Backend b : backends) {
      probes.add(b.probe());
    }
    return Future.join(probes).transform(ar -> {
      for (Future<Boolean> p : probes) {
        if (p.succeeded() && p.result()) {
          return Future.succeededFuture(true);
        }
      }
      return Future.succeededFuture(false);
    });
  }

  /** The limits a configuration starts with. */
  static Limits initial(io.sluice.config.SluiceConfig config) {
    Map<String, LimitSetting> backendLimits = new LinkedHashMap<>();
    for (BackendConfig b : config.backends()) {
      backendLimits.put(b.name(), b.limit());
    }
    MaxOr backlog = config.listeners().get(0).backlog();
    return new Limits(backlog, config.queue().max(), config.queue().timeout(), backendLimits);
  }
}
