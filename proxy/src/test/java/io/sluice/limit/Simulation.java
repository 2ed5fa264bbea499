package io.sluice.limit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.Supplier;

/**
 * A discrete-event model of Sluice in front of one backend, on a simulated clock: a FIFO queue of requests, a
 * {@link Limit} deciding how many are inside the backend, the kernel sampler reading the backend's accept queue four
 * times a second, a backend timeout, and a backend model ({@link SimBackend}). Deterministic for a given seed; runs a
 * minute of simulated time in well under a second.
 *
 * <p>Load is closed-loop, as {@code wrk -c N} or a spike of N connections is: N clients, each sending its next
 * request as soon as the last is answered. A health checker may add one cheap request every second.
 */
final class Simulation {

  static final long MS = 1_000_000L;
  static final long SECOND = 1_000_000_000L;
  /** From the grant to the request reaching the backend (connect, write), and from its last byte to Sluice. */
  private static final long CONNECT = 100_000L;
  private static final long READ = 50_000L;
  private static final long KERNEL_SAMPLE = 250 * MS;
  private static final long BUSY_BACKOFF = 2 * MS;

  /** A route: what a request costs the backend. */
  interface Route {
    /** Service time, drawn for one request. */
    long cost(Random random);
  }

  static Route fixed(long nanos) {
    return r -> (long) (nanos * (0.97 + 0.06 * r.nextDouble()));
  }

  static Route uniform(long minNanos, long maxNanos) {
    return r -> minNanos + (long) ((maxNanos - minNanos) * r.nextDouble());
  }

  /** One request, from the queue to its end. */
  static final class Request {
    final Route route;
    final long cost;
    final boolean healthCheck;
    long enqueuedAt;
    long grantedAt;
    int inflightAtStart;
    boolean done;

    Request(Route route, long cost, boolean healthCheck) {
      this.route = route;
      this.cost = cost;
      this.healthCheck = healthCheck;
    }
  }

  private record Event(long at, long seq, Runnable action) {
  }

  private final PriorityQueue<Event> events = new PriorityQueue<>((a, b) -> a.at != b.at
      ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private final ArrayDeque<Request> queue = new ArrayDeque<>();
  private final Random random;
  private final SimBackend backend;
  private final Limit limit;
  private final Route route;
  private final long timeout;
  private long now;
  private long seq;
  private int inflight;
  private long pausedUntil;
  private boolean dispatchScheduled;
  private final List<Long> served = new ArrayList<>();
  private final List<Long> latencies = new ArrayList<>();
  private final List<long[]> limitTrace = new ArrayList<>();
  private int timeouts;
  private int overloads;

  /**
   * @param backend  the backend model
   * @param limit    the limit under test
   * @param route    what the clients' requests cost
   * @param timeout  the backend timeout (a request not answered by then is a 504, its slot released)
   * @param seed     the random seed
   */
  Simulation(SimBackend backend, Limit limit, Route route, long timeout, long seed) {
    this.backend = backend;
    this.limit = limit;
    this.route = route;
    this.timeout = timeout;
    this.random = new Random(seed);
    backend.attach(this);
  }

  /** Convenience: a fresh simulation per limit, for sweeps. */
  static Simulation of(Supplier<SimBackend> backend, Limit limit, Route route, long seed) {
    return new Simulation(backend.get(), limit, route, 60 * SECOND, seed);
  }

  long now() {
    return now;
  }

  Random random() {
    return random;
  }

  void at(long time, Runnable action) {
    events.add(new Event(Math.max(time, now), seq++, action));
  }

  /** {@code clients} closed-loop clients from time 0. */
  Simulation clients(int clients) {
    for (int i = 0; i < clients; i++) {
      enqueue(new Request(route, route.cost(random), false));
    }
    return this;
  }

  /** One request of {@code cost} every {@code every}, as a load balancer's health check. */
  Simulation healthCheck(Route cost, long every) {
    at(now + every, new Runnable() {
      @Override
      public void run() {
        enqueue(new Request(cost, cost.cost(random), true));
        at(now + every, this);
      }
    });
    return this;
  }

  /** At {@code time}, {@code n} requests of {@code cost} (they are answered, or time out, like any other). */
  Simulation inject(long time, int n, Route cost) {
    at(time, () -> {
      for (int i = 0; i < n; i++) {
        enqueue(new Request(cost, cost.cost(random), true));
      }
    });
    return this;
  }

  /** Runs until {@code end} (simulated nanoseconds since the start). */
  Simulation runUntil(long end) {
    at(KERNEL_SAMPLE, new Runnable() {
      @Override
      public void run() {
        int depth = backend.acceptQueueDepth();
        if (depth >= 0) {
          limit.onBackendQueue(now, depth, inflight, queue.size(), false, inflight);
        }
        limitTrace.add(new long[] {now, limit.current()});
        scheduleDispatch();
        at(now + KERNEL_SAMPLE, this);
      }
    });
    while (!events.isEmpty() && events.peek().at <= end) {
      Event e = events.poll();
      now = e.at;
      e.action.run();
    }
    now = end;
    return this;
  }

  /** Client requests answered per second between {@code from} and {@code to}. */
  double throughput(long from, long to) {
    // Served in time order: count by binary search.
    long n = firstAtOrAfter(to) - firstAtOrAfter(from);
    return n * (double) SECOND / (to - from);
  }

  private int firstAtOrAfter(long time) {
    int lo = 0;
    int hi = served.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (served.get(mid) < time) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The {@code q} quantile of the clients' latencies (queue wait included), over the whole run, in ms. */
  double latencyMillis(double q) {
    List<Long> sorted = new ArrayList<>(latencies);
    sorted.sort(null);
    return sorted.isEmpty() ? 0 : sorted.get((int) Math.min(sorted.size() - 1, q * sorted.size())) / (double) MS;
  }

  /** The first time a {@code window} of served requests reached {@code rate} per second, or -1. */
  long timeToReach(double rate, long window) {
    for (long t = 0; t + window <= now; t += window / 4) {
      if (throughput(t, t + window) >= rate) {
        return t + window;
      }
    }
    return -1;
  }

  int timeouts() {
    return timeouts;
  }

  int overloads() {
    return overloads;
  }

  /** The limit every kernel sample, as {time, limit} pairs. */
  List<long[]> limitTrace() {
    return limitTrace;
  }

  // ---- Sluice's side

  private void enqueue(Request r) {
    r.enqueuedAt = now;
    queue.add(r);
    scheduleDispatch();
  }

  private void scheduleDispatch() {
    if (!dispatchScheduled) {
      dispatchScheduled = true;
      at(Math.max(now, pausedUntil), this::dispatch);
    }
  }

  private void dispatch() {
    dispatchScheduled = false;
    if (now < pausedUntil) {
      scheduleDispatch();
      return;
    }
    while (!queue.isEmpty() && inflight < limit.current()) {
      Request r = queue.poll();
      inflight++;
      r.grantedAt = now;
      r.inflightAtStart = inflight;
      r.done = false;
      at(now + CONNECT, () -> arrive(r));
      at(now + timeout, () -> {
        if (!r.done && r.grantedAt + timeout == now) {
          timeouts++;
          finish(r, Outcome.TIMEOUT);
        }
      });
    }
  }

  private void arrive(Request r) {
    if (r.done) {
      return;
    }
    if (!backend.accept(r)) {
      overloads++;
      r.done = true;
      limit.onSample(now, now - r.grantedAt, r.inflightAtStart, inflight, queue.size(), Outcome.OVERLOAD);
      inflight--;
      queue.addFirst(r);
      pausedUntil = now + BUSY_BACKOFF;
      scheduleDispatch();
    }
  }

  /** Called by the backend model when it has written the whole response of {@code r}. */
  void responded(Request r) {
    if (r.done) {
      return;
    }
    at(now + READ, () -> {
      if (!r.done) {
        finish(r, Outcome.SUCCESS);
      }
    });
  }

  private void finish(Request r, Outcome outcome) {
    r.done = true;
    limit.onSample(now, now - r.grantedAt, r.inflightAtStart, inflight, queue.size(), outcome);
    inflight--;
    if (outcome == Outcome.SUCCESS && !r.healthCheck) {
      served.add(now);
      latencies.add(now - r.enqueuedAt);
    }
    if (!r.healthCheck) {
      enqueue(new Request(route, route.cost(random), false));
    }
    scheduleDispatch();
  }
}
