package io.sluice.backend;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Whether one backend is ready for requests, read from what its traffic already showed: a connection it accepted,
 * a response it began, a connect it refused. A readiness check ({@code /readyz}) thus costs the backend nothing while
 * there is traffic. Only when nothing was learned for {@link #RECENT_NANOS} does a check probe it (connect and
 * close), at most once every {@link #PROBE_INTERVAL_NANOS}, however often it is asked; between probes the last
 * outcome stands.
 *
 * <p>A connect refused because the backend's accept queue was full (EAGAIN) says it is there and busy: that counts as
 * ready, like an accepted connection. Refused, reset or missing (nobody listening, no socket file) counts as not.
 *
 * <p>Thread-safe: outcomes are noted from every event loop (lock-free); {@link #ready} is called on an event loop.
 */
public final class Readiness {

  /** How long an outcome answers a check without a probe. */
  static final long RECENT_NANOS = 5_000_000_000L;
  /** The least time between two probes of one backend. */
  static final long PROBE_INTERVAL_NANOS = 5_000_000_000L;
  /** Successes closer together than this are not noted again: one write per interval, not per request. */
  private static final long NOTE_GRAIN_NANOS = 100_000_000L;

  private final LongSupplier clock;
  private final Supplier<Future<Boolean>> probe;
  /** The latest outcome; {@code null} while none is known. */
  private volatile Seen last;
  // Guarded by this.
  private long lastProbe;
  private Future<Boolean> probing;

  /**
   * @param clock monotonic nanoseconds
   * @param probe connects to the backend and closes; {@code true} when it accepted (or was busy)
   */
  public Readiness(LongSupplier clock, Supplier<Future<Boolean>> probe) {
    this.clock = clock;
    this.probe = probe;
  }

  /** The backend accepted a connection, answered, or refused one only because it was busy. */
  public void up() {
    long now = clock.getAsLong();
    Seen l = last;
    if (l == null || !l.up || now - l.at >= NOTE_GRAIN_NANOS) {
      last = new Seen(now, true);
    }
  }

  /** A connect to the backend was refused or found no socket, or it dropped a connection unanswered. */
  public void down() {
    last = new Seen(clock.getAsLong(), false);
  }

  /** Whether the backend takes requests: from its latest outcome while recent, else from a probe. */
  public Future<Boolean> ready() {
    long now = clock.getAsLong();
    Seen l = last;
    boolean lastWasUp = l != null && l.up;
    if (l != null && now - l.at < RECENT_NANOS) {
      return Future.succeededFuture(lastWasUp);
    }
    Promise<Boolean> started;
    synchronized (this) {
      if (probing != null) {
        return probing;
      }
      if (lastProbe != 0 && now - lastProbe < PROBE_INTERVAL_NANOS) {
        return Future.succeededFuture(lastWasUp);
      }
      lastProbe = now == 0 ? 1 : now;
      started = Promise.promise();
      probing = started.future();
    }
    probe.get().onComplete(ar -> {
      boolean ok = ar.succeeded() && Boolean.TRUE.equals(ar.result());
      if (ok) {
        up();
      } else {
        down();
      }
      synchronized (this) {
        probing = null;
      }
      started.complete(ok);
    });
    return started.future();
  }

  /** One outcome and when it was seen. */
  private record Seen(long at, boolean up) {
  }
}
