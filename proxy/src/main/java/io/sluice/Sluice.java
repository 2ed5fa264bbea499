package io.sluice;

import io.sluice.admin.Control;
import io.sluice.config.Address;
import io.sluice.config.Durations;
import io.sluice.config.SluiceConfig;
import io.sluice.log.ShutdownSafeLogManager;
import io.sluice.queue.Dispatcher;
import io.sluice.runtime.Assembly;
import io.sluice.runtime.StartupException;
import io.sluice.server.Stats;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A running Sluice: what its command, its demo and its tests hold. Started by {@link #start}, stopped by
 * {@link #stop}; both block and are meant for the main thread (or a test's), never an event loop. The parts are
 * built and wired by {@link Assembly}.
 */
public final class Sluice {

  private final Assembly parts;

  private Sluice(Assembly parts) {
    this.parts = parts;
  }

  /**
   * Starts everything the configuration describes (see {@link Assembly#start}).
   *
   * @throws StartupException with a one-line message; {@link StartupException#usage()} tells a refused setting (exit
   *     status 2) from a failure to start (exit status 1)
   */
  public static Sluice start(SluiceConfig config) throws StartupException {
    return new Sluice(Assembly.start(config));
  }

  /**
   * Stops gracefully: stops accepting, lets queued and in-flight requests finish for up to {@code drain}, then
   * answers whatever still waits with 503 and closes. Blocks until done.
   */
  public void stop(Duration drain) {
    parts.stop(drain);
  }

  /**
   * Makes SIGTERM and SIGINT drain for {@code shutdown.drainTimeout}, run {@code afterStop}, then halt with status 0
   * (the JVM would otherwise exit with 128 + the signal number).
   */
  public void stopOnSignal(Runnable afterStop) {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // Fetched here, not in a static field: logging must not start before main() picks its LogManager.
      System.Logger log = System.getLogger(Sluice.class.getName());
      log.log(Level.INFO, "stopping: no new connections; draining queued and in-flight requests for up to "
          + Durations.format(config().drainTimeout()));
      stop(config().drainTimeout());
      afterStop.run();
      log.log(Level.INFO, "stopped: " + stats().received() + " requests received");
      ShutdownSafeLogManager.resetFinally();
      System.out.flush();
      Runtime.getRuntime().halt(0);
    }, "sluice-shutdown"));
  }

  /** The listeners as bound (a port 0 replaced by the real port), in configuration order. */
  public List<Address> listenAddresses() {
    return parts.listenAddresses();
  }

  /** The effective kernel backlog of each listener, in configuration order. */
  public List<Integer> backlogs() {
    return parts.backlogs();
  }

  /** Where the admin listener listens (a TCP port 0 replaced by the real port); empty when it is off. */
  public Optional<Address> adminAddress() {
    return parts.adminAddress();
  }

  /** What the admin API reads and changes. */
  public Control control() {
    return parts.control();
  }

  /** The configuration in force at start (the state file's limits over the configured ones). */
  public SluiceConfig config() {
    return parts.config();
  }

  public Dispatcher dispatcher() {
    return parts.dispatcher();
  }

  public Stats stats() {
    return parts.stats();
  }
}
