package io.sluice;

import io.sluice.admin.AdminServer;
import io.sluice.admin.Control;
import io.sluice.admin.StateFile;
import io.sluice.admin.StateFileException;
import io.sluice.backend.Backend;
import io.sluice.config.Address;
import io.sluice.config.BackendConfig;
import io.sluice.config.LimitSetting;
import io.sluice.config.ListenerConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.kernel.FdLimit;
import io.sluice.kernel.FdLimits;
import io.sluice.kernel.Listeners;
import io.sluice.limit.AdaptiveLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.Limit;
import io.sluice.metrics.PrometheusMetrics;
import io.sluice.net.Sockets;
import io.sluice.queue.Dispatcher;
import io.sluice.queue.Rejection;
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
 * A running Sluice: its Vert.x instance, dispatcher, backends and listeners. Built by {@link #start}, stopped by
 * {@link #stop}; both block and are meant for the main thread (or a test's), never an event loop.
 */
public final class Sluice {

  private static final System.Logger LOG = System.getLogger(Sluice.class.getName());

  /** What an {@code auto} limit is assumed to reach when reserving descriptors for backend connections. */
  private static final int AUTO_LIMIT_FD_ESTIMATE = 64;
  /** How long refused requests get to be written out after the drain timeout. */
  private static final Duration LAST_WORDS = Duration.ofSeconds(1);

  private final Vertx vertx;
  private final SluiceConfig config;
  private final Dispatcher dispatcher;
  private final List<Backend> backends;
  private final Stats stats;
  private final Proxy proxy;
  private final FrontendServer front;
  private final KernelSampler sampler;
  private final MemoryReturn memoryReturn;
  private final LiveControl control;
  private final PrometheusMetrics metrics;
  private final AdminServer admin;

  private Sluice(Vertx vertx, SluiceConfig config, Dispatcher dispatcher, List<Backend> backends, Stats stats,
      Proxy proxy, FrontendServer front, KernelSampler sampler, LiveControl control, PrometheusMetrics metrics,
      AdminServer admin) {
    this.vertx = vertx;
    this.config = config;
    this.dispatcher = dispatcher;
    this.backends = backends;
    this.stats = stats;
    this.proxy = proxy;
    this.front = front;
    this.sampler = sampler;
    this.memoryReturn = new MemoryReturn(vertx, dispatcher);
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
  public static Sluice start(SluiceConfig configured) throws StartupException {
    SluiceConfig config;
    try {
      config = StateFile.overlay(configured);
    } catch (StateFileException e) {
      throw new StartupException("admin.stateFile " + e.getMessage(), e.usage());
    }
    Listeners kernel = Listeners.system();
    FdLimits fds = FdLimits.system();
    int somaxconn = readSomaxconn(kernel);
    List<Integer> backlogs = resolveBacklogs(config, somaxconn);
    int queueMax = effectiveQueueMax(config, fds);

    List<FrontendServer.Listener> listeners = new ArrayList<>();
    for (int i = 0; i < config.listeners().size(); i++) {
      listeners.add(new FrontendServer.Listener(config.listeners().get(i).address(), backlogs.get(i)));
    }
    try {
      for (FrontendServer.Listener l : listeners) {
        if (l.address() instanceof Address.Unix u) {
          Sockets.prepareUnixPath(u.path());
        }
      }
    } catch (IOException e) {
      throw new StartupException("cannot listen: " + e.getMessage(), false);
    }

    int loops = Math.max(1, Runtime.getRuntime().availableProcessors());
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops));
    PrometheusMetrics metrics = new PrometheusMetrics();
    try {
      List<Backend> backends = new ArrayList<>();
      List<Limit> limits = new ArrayList<>();
      for (BackendConfig b : config.backends()) {
        backends.add(new Backend(vertx, backends.size(), b));
        limits.add(newLimit(b.limit()));
      }
      Dispatcher dispatcher = new Dispatcher(limits, queueMax, config.queue().timeout().toNanos(), System::nanoTime,
          (delayNanos, task) -> vertx.setTimer(Math.max(1, (delayNanos + 999_999) / 1_000_000), id -> task.run()));
      Stats stats = new Stats();
      Proxy.Settings settings = new Proxy.Settings(config.buffers().maxBody(), config.buffers().memory(),
          config.buffers().tempDir(), 1L << 30, config.clients().idleTimeout(), config.clients().bodyTimeout());
      Proxy proxy = new Proxy(vertx, dispatcher, backends, settings, stats, metrics);
      FrontendServer front = FrontendServer.start(vertx, proxy, listeners, loops)
          .await(30, TimeUnit.SECONDS);
      List<Address> backendAddresses = new ArrayList<>();
      for (BackendConfig b : config.backends()) {
        backendAddresses.add(b.address());
      }
      LiveControl[] control = new LiveControl[1];
      KernelSampler sampler = new KernelSampler(front.addresses(), backendAddresses, kernel, fds, somaxconn,
          newValue -> control[0].somaxconnChanged(newValue), dispatcher::backendQueue);
      control[0] = new LiveControl(LiveControl.initial(config), front.addresses(), backlogs, queueMax, dispatcher,
          backends, stats, sampler, kernel, () -> fdHeadroom(config, fds));
      metrics.bind(control[0]::status);
      AdminServer admin = config.admin().address().isEmpty() ? null
          : AdminServer.start(vertx, config.admin(), control[0], metrics);
      sampler.start();
      Sluice sluice = new Sluice(vertx, config, dispatcher, backends, stats, proxy, front, sampler, control[0],
          metrics, admin);
      LOG.log(Level.INFO, sluice.describe());
      return sluice;
    } catch (Exception e) {
      vertx.close();
      metrics.close();
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new StartupException("cannot start: " + (cause.getMessage() != null ? cause.getMessage() : cause), false);
    }
  }

  /** {@code limit: auto} learns; a number stays. */
  public static Limit newLimit(LimitSetting setting) {
    return setting.isAuto() ? new AdaptiveLimit() : new FixedLimit(setting.fixed());
  }

  /**
   * Each listener's backlog: {@code max} is {@code net.core.somaxconn}; an explicit value above it is refused
   * rather than silently truncated by the kernel.
   */
  private static int readSomaxconn(Listeners kernel) throws StartupException {
    try {
      return kernel.somaxconn();
    } catch (IOException e) {
      throw new StartupException("cannot read net.core.somaxconn: " + e.getMessage(), false);
    }
  }

  private static List<Integer> resolveBacklogs(SluiceConfig config, int somaxconn) throws StartupException {
    List<Integer> out = new ArrayList<>();
    for (ListenerConfig l : config.listeners()) {
      if (l.backlog().isMax()) {
        out.add(somaxconn);
      } else if (l.backlog().value() > somaxconn) {
        throw new StartupException(somaxconnMessage(l.backlog().value(), somaxconn), true);
      } else {
        out.add(l.backlog().value());
      }
    }
    return out;
  }

  /** Why an explicit backlog is refused, and how to raise the kernel's cap. */
  public static String somaxconnMessage(int requested, int somaxconn) {
    return "backlog " + requested + " is above net.core.somaxconn (" + somaxconn + "), which Linux would silently"
        + " cap it to; use backlog: max, or raise it: sysctl -w net.core.somaxconn=" + requested
        + " (persist in /etc/sysctl.conf; in docker compose: sysctls: net.core.somaxconn: " + requested + ")";
  }

  /**
   * {@code queue.max: max} is what file descriptors allow: the soft RLIMIT_NOFILE (raised to the hard limit first),
   * less what is open now, less two per request a backend may have in flight, less a reserve of a sixteenth of the
   * limit (between 32 and 1024).
   */
  private static int effectiveQueueMax(SluiceConfig config, FdLimits fds) throws StartupException {
    if (!config.queue().max().isMax()) {
      return config.queue().max().value();
    }
    try {
      if (fds.raiseSoftToHard()) {
        LOG.log(Level.INFO, "raised the soft file-descriptor limit to the hard limit");
      }
    } catch (IOException e) {
      throw new StartupException("cannot read the file-descriptor limit: " + e.getMessage(), false);
    }
    int headroom = fdHeadroom(config, fds);
    if (headroom < 1) {
      throw new StartupException("too few file descriptors for queue.max: max; raise the limit (ulimit -n, or"
          + " LimitNOFILE= in the systemd unit)", false);
    }
    return headroom;
  }

  /** Descriptors left for waiting requests; 0 when they cannot be read. */
  static int fdHeadroom(SluiceConfig config, FdLimits fds) {
    try {
      FdLimit limit = fds.current();
      long soft = Math.min(limit.soft(), Integer.MAX_VALUE);
      // Kept back for listeners, logs, spill files, the admin API and clients still sending their request.
      long reserve = Math.max(32, Math.min(1024, soft / 16));
      long inFlight = 0;
      for (BackendConfig b : config.backends()) {
        inFlight += b.limit().isAuto() ? Math.min(AUTO_LIMIT_FD_ESTIMATE, soft / 16) : b.limit().fixed();
      }
      long headroom = soft - fds.openCount() - reserve - 2 * inFlight;
      return (int) Math.max(0, headroom);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot read the file-descriptor limit: " + e.getMessage());
      return 0;
    }
  }

  /**
   * Stops gracefully: stops accepting, lets queued and in-flight requests finish for up to {@code drain}, then
   * answers whatever still waits with 503 and closes. Blocks until done.
   */
  public void stop(Duration drain) {
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
    for (Backend b : backends) {
      closing.add(b.close());
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
    return control.effectiveBacklogs();
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
    return dispatcher;
  }

  public List<Backend> backends() {
    return backends;
  }

  public Stats stats() {
    return stats;
  }

  public Vertx vertx() {
    return vertx;
  }

  Proxy proxy() {
    return proxy;
  }

  private String describe() {
    StringBuilder sb = new StringBuilder("listening on");
    for (int i = 0; i < front.addresses().size(); i++) {
      sb.append(i == 0 ? " " : ", ").append(front.addresses().get(i)).append(" (backlog ").append(backlogs().get(i))
          .append(')');
    }
    sb.append("; queue max ").append(config.queue().max().isMax() ? "max = " + effectiveQueueMax()
        : String.valueOf(effectiveQueueMax())).append(", timeout ")
        .append(io.sluice.config.Durations.format(config.queue().timeout()));
    for (BackendConfig b : config.backends()) {
      sb.append("; backend ").append(b.name()).append(" = ").append(b.address()).append(" (").append(b.protocol())
          .append(", limit ").append(b.limit()).append(')');
    }
    return sb.toString();
  }

  /** Sluice could not start. */
  public static final class StartupException extends Exception {
    private final boolean usage;

    StartupException(String message, boolean usage) {
      super(message, null, false, false);
      this.usage = usage;
    }

    /** Whether a setting was refused (exit status 2) rather than the start failing (exit status 1). */
    public boolean usage() {
      return usage;
    }
  }
}
