package io.sluice.history;

import io.sluice.status.Status;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The last fifteen minutes of a running Sluice at one point a second: what {@code GET /api/v1/history} serves and
 * the dashboard charts. Fixed memory: every series is a preallocated primitive array of {@link #CAPACITY} points used
 * as a ring, and the latest {@link #EVENT_CAPACITY} events sit in a ring of references; nothing grows.
 *
 * <p>A point holds, at the second it was taken: the queue's depth, drain rate, the p50 and p99 of the waits that
 * ended in that second and the oldest wait; requests received and finished per second, by outcome; each backend's
 * limit, requests in flight and kernel accept queue; each listener's kernel accept queue. Unknown values are NaN
 * (a rate before the second point, a percentile of a second in which no request left the queue) or -1 (a kernel
 * queue the kernel does not report).
 *
 * <p>Thread-safe through its monitor, held only to copy: one writer ({@link HistoryRecorder}, once a second), and
 * readers that take a {@link View} and render it outside the lock.
 */
public final class History {

  /** One point a second. */
  public static final long STEP_MILLIS = 1000;
  /** Fifteen minutes of points. */
  public static final int CAPACITY = 900;
  /** The events kept: the oldest go first. */
  public static final int EVENT_CAPACITY = 1024;

  private final int capacity;
  private final List<String> backends;
  private final List<String> listeners;
  private final List<String> outcomes;

  private final long[] t;
  private final int[] depth;
  private final float[] drain;
  private final float[] waitP50;
  private final float[] waitP99;
  private final float[] oldestWait;
  private final float[] received;
  private final float[][] outcomeRates;
  private final int[][] limit;
  private final int[][] inflight;
  private final int[][] backendQueue;
  private final int[][] listenerQueue;
  /** Where the next point goes, and how many are held. */
  private int next;
  private int size;

  private final Event[] events;
  private int nextEvent;
  private int eventCount;

  /**
   * @param backends  backend names, in configuration order
   * @param listeners listener addresses, in configuration order
   * @param outcomes  the outcome labels counted in status, in its order
   */
  public History(List<String> backends, List<String> listeners, List<String> outcomes, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 1)");
    }
    this.capacity = capacity;
    this.backends = List.copyOf(backends);
    this.listeners = List.copyOf(listeners);
    this.outcomes = List.copyOf(outcomes);
    t = new long[capacity];
    depth = new int[capacity];
    drain = new float[capacity];
    waitP50 = new float[capacity];
    waitP99 = new float[capacity];
    oldestWait = new float[capacity];
    received = new float[capacity];
    outcomeRates = new float[this.outcomes.size()][capacity];
    limit = new int[this.backends.size()][capacity];
    inflight = new int[this.backends.size()][capacity];
    backendQueue = new int[this.backends.size()][capacity];
    listenerQueue = new int[this.listeners.size()][capacity];
    events = new Event[EVENT_CAPACITY];
  }

  /** A history of {@link #CAPACITY} points with the backends, listeners and outcomes of a status snapshot. */
  public static History shapedLike(Status s) {
    return new History(s.backends().stream().map(Status.Backend::name).toList(),
        s.listeners().stream().map(Status.Listener::address).toList(),
        List.copyOf(s.totals().byOutcome().keySet()), CAPACITY);
  }

  /** A history with no backend, listener or outcome, which never gets a point: for an admin API without a runtime. */
  public static History empty() {
    return new History(List.of(), List.of(), List.of(), 1);
  }

  /**
   * Something that happened between two points, marked on the time axis.
   *
   * @param t       when it was seen: the time of the point that saw it (Unix milliseconds)
   * @param kind    {@link #LIMIT}, {@link #DOWN}, {@link #UP} or {@link #MODE}
   * @param backend the backend it concerns, or {@code null} (the queue's mode)
   * @param text    one short line for people, such as {@code ↑ 8 slow_start}
   * @param count   how many changes it stands for (a limit may move several times in one second)
   */
  public record Event(long t, String kind, String backend, String text, int count) {
    /** A backend's limit moved, or was set over the admin API. */
    public static final String LIMIT = "limit";
    /** A backend refused connections: it is in connect backoff. */
    public static final String DOWN = "down";
    /** A backend in backoff takes connections again. */
    public static final String UP = "up";
    /** The queue's overload mode changed. */
    public static final String MODE = "mode";

    public Event {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(text, "text");
    }
  }

  /**
   * The points and events after a time, oldest first, copied: it may be read and rendered without a lock. Series
   * are indexed as the names are: {@code limit[b][i]} is backend {@code backends.get(b)} at {@code t[i]}.
   */
  public record View(long stepMillis, int capacity, List<String> backends, List<String> listeners,
      List<String> outcomes, long[] t, int[] depth, float[] drainPerSecond, float[] waitP50Millis,
      float[] waitP99Millis, float[] oldestWaitMillis, float[] receivedPerSecond, float[][] outcomesPerSecond,
      int[][] limit, int[][] inflight, int[][] backendKernelQueue, int[][] listenerKernelQueue, List<Event> events) {

    /** How many points it holds. */
    public int points() {
      return t.length;
    }
  }

  public List<String> backends() {
    return backends;
  }

  public List<String> listeners() {
    return listeners;
  }

  public List<String> outcomes() {
    return outcomes;
  }

  /** Adds a point, replacing the oldest once the ring is full. */
  synchronized void add(Point p) {
    int i = next;
    t[i] = p.t;
    depth[i] = p.depth;
    drain[i] = p.drain;
    waitP50[i] = p.waitP50;
    waitP99[i] = p.waitP99;
    oldestWait[i] = p.oldestWait;
    received[i] = p.received;
    for (int o = 0; o < outcomeRates.length; o++) {
      outcomeRates[o][i] = p.outcomes[o];
    }
    for (int b = 0; b < limit.length; b++) {
      limit[b][i] = p.limit[b];
      inflight[b][i] = p.inflight[b];
      backendQueue[b][i] = p.backendQueue[b];
    }
    for (int l = 0; l < listenerQueue.length; l++) {
      listenerQueue[l][i] = p.listenerQueue[l];
    }
    next = (i + 1) % capacity;
    size = Math.min(size + 1, capacity);
  }

  /** Adds an event, replacing the oldest once its ring is full. */
  synchronized void add(Event e) {
    events[nextEvent] = e;
    nextEvent = (nextEvent + 1) % events.length;
    eventCount = Math.min(eventCount + 1, events.length);
  }

  /** Everything held. */
  public View view() {
    return since(Long.MIN_VALUE);
  }

  /** The points and events later than {@code afterMillis} (Unix milliseconds), oldest first. */
  public synchronized View since(long afterMillis) {
    int oldest = (next - size + capacity) % capacity;
    int skip = 0;
    while (skip < size && t[(oldest + skip) % capacity] <= afterMillis) {
      skip++;
    }
    int n = size - skip;
    int from = (oldest + skip) % capacity;
    float[][] outs = new float[outcomeRates.length][];
    for (int o = 0; o < outs.length; o++) {
      outs[o] = copy(outcomeRates[o], from, n);
    }
    List<Event> evs = new ArrayList<>();
    int firstEvent = (nextEvent - eventCount + events.length) % events.length;
    // events as old as the points held, no older
    long oldestPoint = size > 0 ? t[oldest] : Long.MIN_VALUE;
    for (int k = 0; k < eventCount; k++) {
      Event e = events[(firstEvent + k) % events.length];
      if (e.t() > afterMillis && e.t() >= oldestPoint) {
        evs.add(e);
      }
    }
    return new View(STEP_MILLIS, capacity, backends, listeners, outcomes, copy(t, from, n), copy(depth, from, n),
        copy(drain, from, n), copy(waitP50, from, n), copy(waitP99, from, n), copy(oldestWait, from, n),
        copy(received, from, n), outs, copyAll(limit, from, n), copyAll(inflight, from, n),
        copyAll(backendQueue, from, n), copyAll(listenerQueue, from, n), List.copyOf(evs));
  }

  /** The {@code n} points of a ring of any primitive type from {@code from} on, in a new array of that type. */
  @SuppressWarnings("unchecked")
  private <A> A copy(A ring, int from, int n) {
    A out = (A) Array.newInstance(ring.getClass().getComponentType(), n);
    int first = Math.min(n, capacity - from);
    System.arraycopy(ring, from, out, 0, first);
    System.arraycopy(ring, 0, out, first, n - first);
    return out;
  }

  private int[][] copyAll(int[][] rings, int from, int n) {
    int[][] out = new int[rings.length][];
    for (int k = 0; k < rings.length; k++) {
      out[k] = copy(rings[k], from, n);
    }
    return out;
  }

  /**
   * One point as the recorder fills it: preallocated once and reused, so recording allocates nothing. Not
   * thread-safe; {@link #add(Point)} copies it.
   */
  static final class Point {
    long t;
    int depth;
    float drain;
    float waitP50;
    float waitP99;
    float oldestWait;
    float received;
    final float[] outcomes;
    final int[] limit;
    final int[] inflight;
    final int[] backendQueue;
    final int[] listenerQueue;

    Point(History shape) {
      outcomes = new float[shape.outcomes.size()];
      limit = new int[shape.backends.size()];
      inflight = new int[shape.backends.size()];
      backendQueue = new int[shape.backends.size()];
      listenerQueue = new int[shape.listeners.size()];
      Arrays.fill(outcomes, Float.NaN);
    }
  }
}
