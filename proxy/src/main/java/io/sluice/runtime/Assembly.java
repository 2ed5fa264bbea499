package io.sluice.runtime;

import io.sluice.admin.AdminServer;
import io.sluice.admin.Control;
import io.sluice.backend.BackendProtocol;
import io.sluice.backend.SocketConnector;
import io.sluice.backend.Upstream;
import io.sluice.backend.Upstreams;
import io.sluice.buffer.BufferBudget;
import io.sluice.config.Address;
import io.sluice.config.BackendConfig;
import io.sluice.config.Durations;
import io.sluice.config.SluiceConfig;
import io.sluice.history.History;
import io.sluice.history.HistoryRecorder;
import io.sluice.history.WaitWindow;
import io.sluice.kernel.FdLimits;
import io.sluice.kernel.KernelQueues;
import io.sluice.kernel.KernelSampler;
import io.sluice.kernel.Listeners;
import io.sluice.metrics.PrometheusMetrics;
import io.sluice.net.Sockets;
import io.sluice.queue.Dispatcher;
import io.sluice.queue.Rejection;
import io.sluice.server.Forwarding;
import io.sluice.server.FrontendServer;
import io.sluice.server.Proxy;
import io.sluice.server.Stats;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The parts of a running Sluice, built from a configuration in dependency order by {@link #start} and taken down in
 * reverse by {@link #stop}. Both block and are meant for the main thread (or a test's), never an event loop.
 */
public final class Assembly {

  private static final System.Logger LOG = System.getLogger(Assembly.class.getName());
  /** How long refused requests get to be written out after the drain timeout. */
  private static final Duration LAST_WORDS = Duration.ofSeconds(1);

  private final Vertx vertx;
  private final SluiceConfig config;
  private final Upstreams upstreams;
  private final Stats stats;
  private final FrontendServer front;
  private final List<LiveListener> listeners;
  private final KernelSampler sampler;
  private final MemoryReturn memoryReturn;
  private final LiveControl control;
  private final PrometheusMetrics metrics;
  private final AdminServer admin;

  private Assembly(Vertx vertx, SluiceConfig config, Upstreams upstreams, Stats stats, FrontendServer front,
      List<LiveListener> listeners, KernelSampler sampler, LiveControl control, PrometheusMetrics metrics,
      AdminServer admin) {
    this.vertx = vertx;
    this.config = config;
    this.upstreams = upstreams;
    this.stats = stats;
    this.front = front;
    this.listeners = listeners;
    this.sampler = sampler;
    this.memoryReturn = new MemoryReturn(vertx, upstreams.dispatcher());
    this.control = control;
    this.metrics = metrics;
    this.admin = admin;
  }

  /**
   * Starts everything the configuration describes, with the limits of {@code admin.stateFile} over the
   * configuration's when that file exists, and the admin listener unless {@code admin.address} is off.
   *
   * @throws StartupException with a one-line message: {@link StartupException#usage()} tells a refused setting
   *     (exit 2) from a failure to start (exit 1)
   */
  public static Assembly start(SluiceConfig configured) throws StartupException {
    Listeners kernel = Listeners.system();
    FdLimits fds = FdLimits.system();
    Resolved resolved = Resolved.of(configured, kernel, fds);
    SluiceConfig config = resolved.config();
    int somaxconn = resolved.somaxconn();
    List<Integer> backlogs = resolved.backlogs();
    int queueMax = resolved.queueMax();

    List<FrontendServer.Listener> toOpen = new ArrayList<>();
    try {
      for (int i = 0; i < config.listeners().size(); i++) {
        Address a = config.listeners().get(i).address();
        if (a instanceof Address.Unix u) {
          Sockets.prepareUnixPath(u.path());
        }
        toOpen.add(new FrontendServer.Listener(a, backlogs.get(i), config.listeners().get(i).proxyProtocol()));
      }
    } catch (IOException e) {
      throw new StartupException("cannot listen: " + e.getMessage(), false);
    }

    int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops));
    PrometheusMetrics metrics = new PrometheusMetrics();
    try {
      List<Upstream> backends = new ArrayList<>();
      for (BackendConfig b : config.backends()) {
        BackendProtocol protocol = BackendProtocols.of(b);
        backends.add(new Upstream(backends.size(), b, protocol, new SocketConnector(vertx, b, protocol),
            listener -> Policies.newLimit(b.limit(), listener)));
      }
      Dispatcher dispatcher = new Dispatcher(backends.stream().map(Upstream::lane).toList(),
          Policies.newLine(config.queue().discipline(), queueMax, config.queue().timeout(), config.queue().target()),
          System::nanoTime,
          (delayNanos, task) -> vertx.setTimer(Math.max(1, (delayNanos + 999_999) / 1_000_000), id -> task.run()));
      WaitWindow waits = new WaitWindow();
      Upstreams upstreams = new Upstreams(backends, dispatcher, nanos -> {
        metrics.queueWait(nanos);
        waits.record(nanos);
      }, System::nanoTime);
      Stats stats = new Stats();
      BufferBudget buffers = new BufferBudget(config.buffers().memoryTotal(), config.buffers().disk());
      // One slow client's response may take a quarter of the disk budget, so that it takes a few to spend it all.
      Proxy.Settings settings = new Proxy.Settings(config.buffers().maxBody(), config.buffers().memory(),
          config.buffers().tempDir(), config.buffers().disk() / 4, config.clients().idleTimeout(),
          config.clients().bodyTimeout(), config.clients().bodyMinRate(), config.clients().sendTimeout(),
          config.clients().heldSlotTimeout());
      Proxy proxy = new Proxy(vertx, upstreams, settings, stats, buffers,
          Forwarding.of(config.clients(), config.forwarding()));
      FrontendServer front = FrontendServer.start(vertx, proxy, toOpen, loops).await(30, TimeUnit.SECONDS);

      List<LiveListener> listeners = new ArrayList<>();
      for (int i = 0; i < front.addresses().size(); i++) {
        listeners.add(new LiveListener(front.addresses().get(i), backlogs.get(i)));
      }
      Backlogs backlogControl = new Backlogs(listeners, kernel, config.listeners().get(0).backlog());
      KernelSampler sampler = new KernelSampler(KernelQueues.open(), kernel, fds, somaxconn,
          backlogControl::somaxconnChanged);
      for (LiveListener l : listeners) {
        sampler.watch(Sockets.kernelAddress(l.address()), l::kernelQueue);
      }
      for (Upstream u : backends) {
        sampler.watch(Sockets.kernelAddress(u.config().address()), q -> upstreams.sampled(u, q));
      }
      LiveControl control = new LiveControl(LiveControl.initial(config), listeners, backlogControl, queueMax,
          upstreams, stats, sampler, () -> Policies.fdHeadroom(config, fds), System::nanoTime, buffers);
      metrics.bind(control::status);
      History history = History.shapedLike(control.status());
      HistoryRecorder recorder = new HistoryRecorder(history, waits,
          s -> s.queue().overloaded() ? "overloaded" : "normal");
      vertx.setPeriodic(History.STEP_MILLIS,
          id -> recorder.sample(control.status(), System.currentTimeMillis(), System.nanoTime()));
      AdminServer admin = config.admin().address().isEmpty() ? null
          : AdminServer.start(vertx, config.admin(), control, metrics, history);
      sampler.start();
      Assembly assembly = new Assembly(vertx, config, upstreams, stats, front, listeners, sampler, control, metrics,
          admin);
      LOG.log(Level.INFO, assembly.describe());
      return assembly;
    } catch (Exception e) {
      vertx.close();
      metrics.close();
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new StartupException("cannot start: " + (cause.getMessage() != null ? cause.getMessage() : cause), false);
    }
  }

  /**
   * Stops gracefully: stops accepting, lets queued and in-flight requests finish for up to {@code drain}, then
   * answers whatever still waits with 503 and closes. Blocks until done.
   */
  public void stop(Duration drain) {
    Dispatcher dispatcher = upstreams.dispatcher();
    long timer = vertx.setTimer(Math.max(1, drain.toMillis()), id -> dispatcher.rejectAll(Rejection.SHUTDOWN));
    try {
      front.shutdown(drain.plus(LAST_WORDS)).await(drain.plus(LAST_WORDS).toMillis() + 5000, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.log(Level.WARNING, "listeners did not close cleanly: " + e.getMessage());
    }
    vertx.cancelTimer(timer);
    dispatcher.rejectAll(Rejection.SHUTDOWN);
    sampler.close();
    memoryReturn.stop();
    List<Future<Void>> closing = new ArrayList<>();
    if (admin != null) {
      closing.add(admin.close());
    }
    for (Upstream u : upstreams.all()) {
      closing.add(u.connector().close());
    }
    try {
      Future.join(closing).await(5, TimeUnit.SECONDS);
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.log(Level.WARNING, "Vert.x did not close cleanly: " + e.getMessage());
    }
    metrics.close();
  }

  /** The listeners as bound (a port 0 replaced by the real port), in configuration order. */
  public List<Address> listenAddresses() {
    return front.addresses();
  }

  /** The effective kernel backlog of each listener, in configuration order. */
  public List<Integer> backlogs() {
    return listeners.stream().map(LiveListener::backlog).toList();
  }

  /** The queue bound in force: the configured number, or what file descriptors allow for {@code max}. */
  public int effectiveQueueMax() {
    return control.effectiveQueueMax();
  }

  /** Where the admin listener listens (a TCP port 0 replaced by the real port); empty when it is off. */
  public Optional<Address> adminAddress() {
    return Optional.ofNullable(admin).map(AdminServer::address);
  }

  /** What the admin API reads and changes. */
  public Control control() {
    return control;
  }

  public SluiceConfig config() {
    return config;
  }

  public Dispatcher dispatcher() {
    return upstreams.dispatcher();
  }

  public Stats stats() {
    return stats;
  }

  private String describe() {
    StringBuilder sb = new StringBuilder("listening on");
    for (int i = 0; i < listeners.size(); i++) {
      LiveListener l = listeners.get(i);
      sb.append(i == 0 ? " " : ", ").append(l.address()).append(" (backlog ").append(l.backlog()).append(')');
    }
    sb.append("; queue max ").append(config.queue().max().isMax() ? "max = " + effectiveQueueMax()
        : String.valueOf(effectiveQueueMax())).append(", timeout ").append(Durations.format(config.queue().timeout()));
    for (BackendConfig b : config.backends()) {
      sb.append("; backend ").append(b.name()).append(" = ").append(b.address()).append(" (").append(b.protocol())
          .append(", limit ").append(b.limit()).append(')');
    }
    return sb.toString();
  }
}
