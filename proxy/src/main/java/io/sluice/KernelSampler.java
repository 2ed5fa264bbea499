package io.sluice;

import io.sluice.config.Address;
import io.sluice.kernel.FdLimit;
import io.sluice.kernel.FdLimits;
import io.sluice.kernel.KernelQueue;
import io.sluice.kernel.KernelQueues;
import io.sluice.kernel.Listeners;
import io.sluice.net.Sockets;
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
import java.util.function.BiConsumer;
import java.util.function.IntConsumer;

/**
 * Reads, on its own thread, what only the kernel knows: the accept queue of every listener and backend
 * (NETLINK_SOCK_DIAG, four times a second), {@code net.core.somaxconn} and the file descriptors in use (every two
 * seconds). Readers get the latest values without blocking. A target the kernel will not report (a remote
 * backend, another network namespace) reads as unknown, with the reason logged once.
 */
final class KernelSampler implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(KernelSampler.class.getName());
  private static final long QUEUE_INTERVAL_MS = 250;
  private static final int SLOW_EVERY = 8;

  private final KernelQueues queues = KernelQueues.open();
  private final Listeners listeners;
  private final FdLimits fds;
  private final List<SocketAddress> listenerTargets;
  private final List<SocketAddress> backendTargets;
  private final IntConsumer onSomaxconnChange;
  private final BiConsumer<Integer, Integer> onBackendQueue;
  private final Set<SocketAddress> reportedUnknown = new HashSet<>();
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "sluice-kernel-sampler");
    t.setDaemon(true);
    return t;
  });
  private volatile List<KernelQueue> listenerQueues;
  private volatile List<KernelQueue> backendQueues;
  private volatile int somaxconn;
  private volatile FdLimit fdLimit = new FdLimit(0, 0);
  private volatile int openFds;
  private long ticks;

  /**
   * @param onSomaxconnChange called on the sampler's thread with the new value when {@code net.core.somaxconn}
   *                          changes
   * @param onBackendQueue    called on the sampler's thread with a backend's index and accept-queue depth, for each
   *                          backend the kernel reports
   */
  KernelSampler(List<Address> listeners, List<Address> backends, Listeners kernel, FdLimits fds, int somaxconn,
      IntConsumer onSomaxconnChange, BiConsumer<Integer, Integer> onBackendQueue) {
    this.onBackendQueue = onBackendQueue;
    this.listeners = kernel;
    this.fds = fds;
    this.somaxconn = somaxconn;
    this.onSomaxconnChange = onSomaxconnChange;
    this.listenerTargets = targets(listeners);
    this.backendTargets = targets(backends);
    KernelQueue unknown = new KernelQueue.Unknown("not sampled yet");
    this.listenerQueues = repeat(unknown, listenerTargets.size());
    this.backendQueues = repeat(unknown, backendTargets.size());
  }

  void start() {
    sampleSlow();
    sampleQueues();
    thread.scheduleWithFixedDelay(this::tick, QUEUE_INTERVAL_MS, QUEUE_INTERVAL_MS, TimeUnit.MILLISECONDS);
  }

  List<KernelQueue> listenerQueues() {
    return listenerQueues;
  }

  List<KernelQueue> backendQueues() {
    return backendQueues;
  }

  int somaxconn() {
    return somaxconn;
  }

  FdLimit fdLimit() {
    return fdLimit;
  }

  int openFds() {
    return openFds;
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
    List<SocketAddress> all = new ArrayList<>(listenerTargets);
    all.addAll(backendTargets);
    Map<SocketAddress, KernelQueue> read = queues.read(all);
    listenerQueues = pick(read, listenerTargets);
    List<KernelQueue> backends = pick(read, backendTargets);
    backendQueues = backends;
    for (int i = 0; i < backends.size(); i++) {
      if (backends.get(i) instanceof KernelQueue.Known k) {
        onBackendQueue.accept(i, k.depth());
      }
    }
  }

  private void sampleSlow() {
    try {
      int now = listeners.somaxconn();
      int before = somaxconn;
      somaxconn = now;
      if (now != before) {
        LOG.log(Level.INFO, "net.core.somaxconn changed from " + before + " to " + now);
        onSomaxconnChange.accept(now);
      }
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot read net.core.somaxconn: " + e.getMessage());
    }
    try {
      fdLimit = fds.current();
      openFds = fds.openCount();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot read file-descriptor use: " + e.getMessage());
    }
  }

  private List<KernelQueue> pick(Map<SocketAddress, KernelQueue> read, List<SocketAddress> targets) {
    List<KernelQueue> out = new ArrayList<>(targets.size());
    for (SocketAddress t : targets) {
      KernelQueue q = read.get(t);
      if (q == null) {
        q = new KernelQueue.Unknown("not reported");
      }
      if (q instanceof KernelQueue.Unknown u && reportedUnknown.add(t)) {
        LOG.log(Level.INFO, "the kernel does not report the accept queue of " + t + ": " + u.reason());
      }
      out.add(q);
    }
    return List.copyOf(out);
  }

  private static List<SocketAddress> targets(List<Address> addresses) {
    List<SocketAddress> out = new ArrayList<>();
    for (Address a : addresses) {
      out.add(Sockets.kernelAddress(a));
    }
    return out;
  }

  private static List<KernelQueue> repeat(KernelQueue q, int n) {
    List<KernelQueue> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(q);
    }
    return List.copyOf(out);
  }
}
