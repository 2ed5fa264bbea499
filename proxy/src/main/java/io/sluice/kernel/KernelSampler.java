package io.sluice.kernel;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Reads, on its own thread, what only the kernel knows: the accept queue of every watched socket (NETLINK_SOCK_DIAG,
 * four times a second, one dump for all of them), {@code net.core.somaxconn} and the file descriptors in use (every
 * two seconds). Each reading goes to the watcher of its socket; the others are kept for readers, who get the latest
 * values without blocking. A socket the kernel will not report (a remote backend, another network namespace) reads as
 * {@link KernelQueue.Unknown}, with the reason logged once.
 *
 * <p>Watchers and {@code onSomaxconnChange} run on the sampler's thread: they only store or hand on what they get.
 */
public final class KernelSampler implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(KernelSampler.class.getName());
  private static final long QUEUE_INTERVAL_MS = 250;
  private static final int SLOW_EVERY = 8;

  private final KernelQueues queues;
  private final Listeners listeners;
  private final FdLimits fds;
  private final IntConsumer onSomaxconnChange;
  private final List<Watch> watches = new ArrayList<>();
  private final Set<SocketAddress> reportedUnknown = new HashSet<>();
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "sluice-kernel-sampler");
    t.setDaemon(true);
    return t;
  });
  private volatile Readings readings;
  private long ticks;

  private record Watch(SocketAddress target, Consumer<KernelQueue> reader) {
  }

  /**
   * The latest of the slower readings.
   *
   * @param somaxconn {@code net.core.somaxconn}
   * @param fdLimit   RLIMIT_NOFILE
   * @param openFds   descriptors open
   */
  public record Readings(int somaxconn, FdLimit fdLimit, int openFds) {
  }

  /**
   * @param somaxconn         {@code net.core.somaxconn} as read at start
   * @param onSomaxconnChange called with the new value when {@code net.core.somaxconn} changes
   */
  public KernelSampler(KernelQueues queues, Listeners listeners, FdLimits fds, int somaxconn,
      IntConsumer onSomaxconnChange) {
    this.queues = queues;
    this.listeners = listeners;
    this.fds = fds;
    this.readings = new Readings(somaxconn, new FdLimit(0, 0), 0);
    this.onSomaxconnChange = onSomaxconnChange;
  }

  /** Hands every reading of {@code target}'s accept queue to {@code reader}. Call before {@link #start}. */
  public void watch(SocketAddress target, Consumer<KernelQueue> reader) {
    watches.add(new Watch(target, reader));
  }

  /** Samples once on the caller's thread (blocking), then every 250 ms on the sampler's. */
  public void start() {
    sampleSlow();
    sampleQueues();
    thread.scheduleWithFixedDelay(this::tick, QUEUE_INTERVAL_MS, QUEUE_INTERVAL_MS, TimeUnit.MILLISECONDS);
  }

  /** What the last slow sample read; never blocks. */
  public Readings readings() {
    return readings;
  }

  @Override
  public void close() {
    thread.shutdownNow();
    queues.close();
  }

  private void tick() {
    try {
      sampleQueues();
      if (++ticks % SLOW_EVERY == 0) {
        sampleSlow();
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "kernel sampling failed: " + e);
    }
  }

  private void sampleQueues() {
    List<SocketAddress> targets = new ArrayList<>(watches.size());
    for (Watch w : watches) {
      targets.add(w.target());
    }
    Map<SocketAddress, KernelQueue> read = queues.read(targets);
    for (Watch w : watches) {
      KernelQueue q = read.get(w.target());
      if (q == null) {
        q = new KernelQueue.Unknown("not reported");
      }
      if (q instanceof KernelQueue.Unknown u && reportedUnknown.add(w.target())) {
        LOG.log(Level.INFO, "the kernel does not report the accept queue of " + w.target() + ": " + u.reason());
      }
      w.reader().accept(q);
    }
  }

  private void sampleSlow() {
    Readings before = readings;
    int somaxconn = before.somaxconn();
    try {
      somaxconn = listeners.somaxconn();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot read net.core.somaxconn: " + e.getMessage());
    }
    FdLimit fdLimit = before.fdLimit();
    int openFds = before.openFds();
    try {
      fdLimit = fds.current();
      openFds = fds.openCount();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot read file-descriptor use: " + e.getMessage());
    }
    readings = new Readings(somaxconn, fdLimit, openFds);
    if (somaxconn != before.somaxconn()) {
      LOG.log(Level.INFO, "net.core.somaxconn changed from " + before.somaxconn() + " to " + somaxconn);
      onSomaxconnChange.accept(somaxconn);
    }
  }
}
