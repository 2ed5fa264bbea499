package io.sluice.runtime;

import io.sluice.queue.Dispatcher;
import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;

/**
 * Gives memory back after a spike. The JVM keeps the heap it grew to until a full collection, and under steady
 * light traffic none comes; so once the queue has held at least {@value #SPIKE} requests and then stayed empty for
 * {@value #QUIET_SECONDS} seconds, one collection is asked for, on a worker thread, and the heap shrinks back
 * towards what is in use.
 */
final class MemoryReturn {

  private static final System.Logger LOG = System.getLogger(MemoryReturn.class.getName());
  static final int SPIKE = 1000;
  static final int QUIET_SECONDS = 10;
  private static final long CHECK_MILLIS = 250;

  private final Vertx vertx;
  private final Dispatcher dispatcher;
  private final long timer;
  private int peak;
  private int quietChecks;
  private boolean collecting;

  MemoryReturn(Vertx vertx, Dispatcher dispatcher) {
    this.vertx = vertx;
    this.dispatcher = dispatcher;
    this.timer = vertx.setPeriodic(CHECK_MILLIS, id -> check());
  }

  void stop() {
    vertx.cancelTimer(timer);
  }

  private void check() {
    int depth = dispatcher.depth();
    peak = Math.max(peak, depth);
    quietChecks = depth == 0 ? quietChecks + 1 : 0;
    if (peak >= SPIKE && quietChecks * CHECK_MILLIS >= QUIET_SECONDS * 1000L && !collecting) {
      int spike = peak;
      peak = 0;
      collecting = true;
      vertx.executeBlocking(() -> {
        MemoryUsage before = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        System.gc();
        MemoryUsage after = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        LOG.log(Level.INFO, "the queue drained after holding " + spike + " requests: heap committed "
            + before.getCommitted() / (1024 * 1024) + " MiB -> " + after.getCommitted() / (1024 * 1024) + " MiB");
        return null;
      }).onComplete(ar -> collecting = false);
    }
  }
}
