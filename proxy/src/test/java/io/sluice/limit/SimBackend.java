package io.sluice.limit;

import java.util.ArrayDeque;
import java.util.function.LongUnaryOperator;

/**
 * A backend model for {@link Simulation}: what it does with a connection that reaches it, and what the kernel shows
 * of its accept queue.
 */
abstract class SimBackend {

  protected Simulation sim;

  void attach(Simulation s) {
    this.sim = s;
  }

  /** A connection with its request reached the backend; {@code false} when its accept queue was full (EAGAIN). */
  abstract boolean accept(Simulation.Request r);

  /** The accept queue's depth as the kernel reports it; -1 when it does not (a remote backend). */
  abstract int acceptQueueDepth();

  /**
   * uWSGI or gunicorn sync: {@code workers} processes, each taking one connection from the accept queue at a time.
   */
  static SimBackend prefork(int workers, int backlog) {
    return new Pool(workers, backlog, true, true);
  }

  /**
   * gunicorn gthread: connections accepted eagerly (the accept queue stays empty) and served by {@code threads}
   * threads from an internal queue. {@code visible}: a local socket the kernel reports (always 0 deep), or not.
   */
  static SimBackend threaded(int threads, boolean visible) {
    return new Pool(threads, Integer.MAX_VALUE, false, visible);
  }

  /**
   * gunicorn gevent: up to {@code capacity} requests at once, each waiting its cost of I/O and then needing
   * {@code cpuNanos} of one of {@code cores} CPUs (first come, first served); connections past the capacity wait in
   * the accept queue.
   */
  static SimBackend async(int capacity, int cores, long cpuNanos, int backlog) {
    return new Async(capacity, cores, now -> cpuNanos, backlog);
  }

  /**
   * As {@link #async}, but each request's CPU cost at a time {@code t} is {@code cpuAt(t)}: a cold start, where the
   * CPUs the proxy shares with the backend are at first far slower than once the JIT has warmed.
   */
  static SimBackend async(int capacity, int cores, LongUnaryOperator cpuAt, int backlog) {
    return new Async(capacity, cores, cpuAt, backlog);
  }

  /** A fixed pool of workers with a queue in front of it: the kernel's accept queue or the server's own. */
  private static final class Pool extends SimBackend {
    private final int workers;
    private final int backlog;
    private final boolean queueInKernel;
    private final boolean visible;
    private final ArrayDeque<Simulation.Request> waiting = new ArrayDeque<>();
    private int busy;

    Pool(int workers, int backlog, boolean queueInKernel, boolean visible) {
      this.workers = workers;
      this.backlog = backlog;
      this.queueInKernel = queueInKernel;
      this.visible = visible;
    }

    @Override
    boolean accept(Simulation.Request r) {
      if (busy < workers) {
        serve(r);
        return true;
      }
      // Linux: the queue is full once it holds more than the backlog.
      if (waiting.size() > backlog) {
        return false;
      }
      waiting.add(r);
      return true;
    }

    private void serve(Simulation.Request r) {
      busy++;
      sim.at(sim.now() + r.cost, () -> {
        busy--;
        sim.responded(r);
        Simulation.Request next = waiting.poll();
        if (next != null) {
          serve(next);
        }
      });
    }

    @Override
    int acceptQueueDepth() {
      return !visible ? -1 : queueInKernel ? waiting.size() : 0;
    }
  }

  private static final class Async extends SimBackend {
    private final int capacity;
    private final int cores;
    private final LongUnaryOperator cpuAt;
    private final int backlog;
    private final ArrayDeque<Simulation.Request> acceptQueue = new ArrayDeque<>();
    private final ArrayDeque<Simulation.Request> cpuQueue = new ArrayDeque<>();
    private int open;
    private int cpuBusy;

    Async(int capacity, int cores, LongUnaryOperator cpuAt, int backlog) {
      this.capacity = capacity;
      this.cores = cores;
      this.cpuAt = cpuAt;
      this.backlog = backlog;
    }

    @Override
    boolean accept(Simulation.Request r) {
      if (open < capacity) {
        start(r);
        return true;
      }
      if (acceptQueue.size() > backlog) {
        return false;
      }
      acceptQueue.add(r);
      return true;
    }

    private void start(Simulation.Request r) {
      open++;
      sim.at(sim.now() + r.cost, () -> {
        cpuQueue.add(r);
        runCpu();
      });
    }

    private void runCpu() {
      while (cpuBusy < cores && !cpuQueue.isEmpty()) {
        Simulation.Request r = cpuQueue.poll();
        cpuBusy++;
        sim.at(sim.now() + cpuAt.applyAsLong(sim.now()), () -> {
          cpuBusy--;
          open--;
          sim.responded(r);
          Simulation.Request next = acceptQueue.poll();
          if (next != null) {
            start(next);
          }
          runCpu();
        });
      }
    }

    @Override
    int acceptQueueDepth() {
      return acceptQueue.size();
    }
  }
}
