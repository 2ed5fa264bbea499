package io.sluice.backend;

import io.sluice.config.BackendConfig;
import io.sluice.kernel.KernelQueue;
import io.sluice.limit.Decision;
import io.sluice.limit.Limit;
import io.sluice.limit.LimitListener;
import io.sluice.limit.Reason;
import io.sluice.queue.Lane;
import io.sluice.status.Status;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * One configured backend while Sluice runs, everything about it in one place: its settings and protocol, where its
 * calls get connections ({@link Connector}), its {@link Lane} in the dispatcher (limit, requests in flight, connect
 * backoff), the latest reading of its kernel accept queue, when it last logged a refused connect, and how often its
 * limit moved, by direction and reason, counted across limit replacements, how often a request was sent to it again
 * and why, and whether it is ready ({@link Readiness}).
 *
 * <p>Thread-safe: the lane is the dispatcher's (under its lock); the rest is atomic or volatile.
 */
public final class Upstream {

  private static final System.Logger LOG = System.getLogger(Upstream.class.getName());
  private static final long CONNECT_LOG_INTERVAL_NANOS = 10_000_000_000L;

  private final BackendConfig config;
  private final BackendProtocol protocol;
  private final Connector connector;
  private final LimitChanges changes;
  private final Lane lane;
  private final AtomicLong lastConnectLog = new AtomicLong();
  private final AtomicLongArray retries = new AtomicLongArray(RetryReason.values().length);
  private final Readiness readiness;
  private volatile KernelQueue kernelQueue = new KernelQueue.Unknown("not sampled yet");

  /**
   * @param index     its position in configuration order
   * @param limit     makes its first limit, given the listener that counts the limit's moves
   */
  public Upstream(int index, BackendConfig config, BackendProtocol protocol, Connector connector,
      Function<LimitListener, Limit> limit) {
    this(index, config, protocol, connector, limit, System::nanoTime);
  }

  /** @param clock monotonic nanoseconds, which readiness is timed on */
  public Upstream(int index, BackendConfig config, BackendProtocol protocol, Connector connector,
      Function<LimitListener, Limit> limit, LongSupplier clock) {
    this.config = config;
    this.protocol = protocol;
    this.connector = connector;
    // A limit that drops closes the idle connections over it at once, not at the next sweep.
    this.changes = new LimitChanges(connector::trim);
    this.lane = new Lane(index, limit.apply(changes));
    this.readiness = new Readiness(clock, connector::probe);
    connector.limitBy(lane::currentLimit);
  }

  public BackendConfig config() {
    return config;
  }

  public BackendProtocol protocol() {
    return protocol;
  }

  public Connector connector() {
    return connector;
  }

  public Lane lane() {
    return lane;
  }

  /** What every limit of this backend reports its moves to: the counters survive a change of limit. */
  public LimitListener limitListener() {
    return changes;
  }

  /** How often the limit moved, for each direction and reason it moved for so far. */
  public List<Status.LimitChange> limitChanges() {
    return changes.nonZero();
  }

  public KernelQueue kernelQueue() {
    return kernelQueue;
  }

  /** The latest reading of its accept queue; called on the kernel sampler's thread. */
  public void kernelQueue(KernelQueue q) {
    kernelQueue = q;
  }

  /** Whether it takes requests, from its recent connect outcomes (a probe only after a quiet spell). */
  public Readiness readiness() {
    return readiness;
  }

  /** How often a request was sent to it again, for every reason (zeros included), in the order of the reasons. */
  public Map<String, Long> retries() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (RetryReason r : RetryReason.values()) {
      out.put(r.label(), retries.get(r.ordinal()));
    }
    return out;
  }

  void retried(RetryReason why) {
    retries.incrementAndGet(why.ordinal());
  }

  /** A connection was accepted, or a response began: it is up. */
  void answered() {
    readiness.up();
  }

  /** Notes a refused connect: logs the first of a series, then at most once every ten seconds. */
  void connectFailed(boolean busy, Throwable cause) {
    if (busy) {
      readiness.up();
    } else {
      readiness.down();
    }
    logThrottled(busy ? "is busy (its accept queue is full)" : "is not accepting connections",
        ConnectFailures.describe(cause), "requests stay queued and are retried");
  }

  /** A new connection ended before any byte of the response: the backend is probably going down or restarting. */
  void droppedUnanswered(Throwable cause) {
    readiness.down();
    logThrottled("dropped a connection before answering", cause == null ? "closed" : ConnectFailures.describe(cause),
        "idempotent requests are queued again, once");
  }

  /** Logs the first of a series of connect problems, then at most once every ten seconds. */
  private void logThrottled(String what, String cause, String consequence) {
    long now = System.nanoTime();
    long last = lastConnectLog.get();
    if ((last == 0 || now - last >= CONNECT_LOG_INTERVAL_NANOS) && lastConnectLog.compareAndSet(last, now)) {
      LOG.log(Level.WARNING, "backend " + this + " " + what + ": " + cause + "; " + consequence);
    }
  }

  @Override
  public String toString() {
    return config.name() + " (" + config.address() + ")";
  }

  /**
   * Counts the moves of a limit by direction and reason, and runs {@code onDrop} when it went down; told under the
   * dispatcher's lock, read from anywhere.
   */
  private static final class LimitChanges implements LimitListener {

    private static final Reason[] REASONS = Reason.values();
    /** Up moves at {@code 2 * reason.ordinal()}, down moves at the next index. */
    private final AtomicLongArray counts = new AtomicLongArray(2 * REASONS.length);
    private final Runnable onDrop;

    LimitChanges(Runnable onDrop) {
      this.onDrop = onDrop;
    }

    @Override
    public void changed(Decision decision) {
      boolean up = decision.to() > decision.from();
      counts.incrementAndGet(2 * decision.reason().ordinal() + (up ? 0 : 1));
      if (!up) {
        onDrop.run();
      }
    }

    List<Status.LimitChange> nonZero() {
      List<Status.LimitChange> out = new ArrayList<>();
      for (int i = 0; i < counts.length(); i++) {
        long n = counts.get(i);
        if (n > 0) {
          out.add(new Status.LimitChange(i % 2 == 0 ? Decision.UP : Decision.DOWN, REASONS[i / 2].label(), n));
        }
      }
      return out;
    }
  }
}
