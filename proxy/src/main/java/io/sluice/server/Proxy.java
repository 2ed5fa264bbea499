package io.sluice.server;

import io.netty.util.concurrent.FastThreadLocal;
import io.sluice.backend.Loop;
import io.sluice.backend.Upstreams;
import io.sluice.buffer.BodyBuffer;
import io.sluice.buffer.BufferBudget;
import io.sluice.buffer.Spool;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * What every client exchange shares: the backends, the body-buffering settings and the {@link BufferBudget} all bodies
 * draw on, the counters, and per event loop its client connections and its {@link Loop}. One per process; the front's
 * request handler on every event loop. Thread-safe.
 */
public final class Proxy implements Handler<HttpServerRequest> {

  private static final System.Logger LOG = System.getLogger(Proxy.class.getName());
  /** A refusal for want of buffer space is logged at most this often, with how many were not. */
  private static final long WARN_EVERY_NANOS = 10_000_000_000L;

  private static final Handler<Throwable> IGNORED = t -> { };

  private final Vertx vertx;
  private final Upstreams upstreams;
  private final Stats stats;
  private final Settings settings;
  private final Forwarding forwarding;
  private final BufferBudget budget;
  private final LongSupplier clock;
  private final AtomicLong lastWarning;
  private final LongAdder unwarned = new LongAdder();
  private final FastThreadLocal<ClientConnections> connections;
  private final FastThreadLocal<Loop> loops = new FastThreadLocal<>() {
    @Override
    protected Loop initialValue() {
      return Loop.of(vertx.getOrCreateContext());
    }
  };

  /**
   * How request and response bodies are held, and how long clients are waited for.
   *
   * @param maxBody      largest request body accepted (413 past it)
   * @param memoryBuffer bytes of one body kept in memory before spilling to a file
   * @param tempDir      where spill files go
   * @param maxSpool     bytes one response's spool may hold in files before the backend is read at the client's speed
   * @param clientIdleTimeout a client connection with no request under way is closed after this long
   * @param clientBodyTimeout a request body that stops arriving for this long is answered 408
   * @param bodyMinRate  bytes a second a body must average once it has taken {@code clientBodyTimeout} (408 below
   *                     it); 0 for no minimum
   * @param clientSendTimeout a client that takes no byte of its response for this long is closed
   * @param heldSlotTimeout a client that takes no byte for this long while its response, with no room left to spool,
   *                     holds a backend slot that queued requests wait for, is closed
   */
  public record Settings(long maxBody, int memoryBuffer, Path tempDir, long maxSpool, Duration clientIdleTimeout,
      Duration clientBodyTimeout, long bodyMinRate, Duration clientSendTimeout, Duration heldSlotTimeout) {
    public Settings {
      Objects.requireNonNull(tempDir, "tempDir");
      Objects.requireNonNull(clientSendTimeout, "clientSendTimeout");
      Objects.requireNonNull(heldSlotTimeout, "heldSlotTimeout");
    }
  }

  /** @param forwarding whose forwarding headers are kept, and whether {@code X-Request-Start} is stamped */
  public Proxy(Vertx vertx, Upstreams upstreams, Settings settings, Stats stats, BufferBudget budget,
      Forwarding forwarding) {
    this(vertx, upstreams, settings, stats, budget, forwarding, System::nanoTime,
        (millis, task) -> vertx.setPeriodic(millis, id -> task.run()));
  }

  /**
   * @param clock    monotonic nanoseconds, for the client timeouts
   * @param periodic starts each event loop's sweep of its client connections
   */
  Proxy(Vertx vertx, Upstreams upstreams, Settings settings, Stats stats, BufferBudget budget, Forwarding forwarding,
      LongSupplier clock, ClientConnections.Periodic periodic) {
    this.vertx = vertx;
    this.upstreams = upstreams;
    this.settings = settings;
    this.stats = stats;
    this.forwarding = Objects.requireNonNull(forwarding, "forwarding");
    this.budget = budget;
    this.clock = clock;
    this.lastWarning = new AtomicLong(clock.getAsLong() - WARN_EVERY_NANOS);
    this.connections = new FastThreadLocal<>() {
      @Override
      protected ClientConnections initialValue() {
        return new ClientConnections(periodic, clock, settings);
      }
    };
  }

  /** Called for every new client connection, on its event loop. */
  public void connected(HttpConnection connection) {
    // A client that resets its connection is an expected event: its exchange learns of it from the close. Without a
    // handler Vert.x would log each reset at ERROR.
    connection.exceptionHandler(IGNORED);
    connections.get().opened(connection);
  }

  /** This event loop's client connections. */
  ClientConnections connections() {
    return connections.get();
  }

  @Override
  public void handle(HttpServerRequest request) {
    new Exchange(this, request, loops.get()).start();
  }

  Upstreams upstreams() {
    return upstreams;
  }

  Stats stats() {
    return stats;
  }

  long now() {
    return clock.getAsLong();
  }

  /** Whether a body of {@code declared} bytes (-1 when unknown) could be buffered now: see the budget's couldHold. */
  boolean couldBuffer(long declared) {
    return budget.couldHold(declared, settings.memoryBuffer());
  }

  /** A buffer for a whole body: the one place they are made, all drawing on the one budget. */
  BodyBuffer newBodyBuffer() {
    return new BodyBuffer(vertx, settings.tempDir(), budget, settings.memoryBuffer());
  }

  /** A spool for a response to a slow client: the one place they are made, all drawing on the one budget. */
  Spool newSpool() {
    return new Spool(vertx, settings.tempDir(), budget, settings.memoryBuffer(), settings.maxSpool());
  }

  /** A request body was refused for want of buffer space: one warning line every ten seconds at most. */
  void buffersFull() {
    long now = clock.getAsLong();
    long last = lastWarning.get();
    if (now - last < WARN_EVERY_NANOS || !lastWarning.compareAndSet(last, now)) {
      unwarned.increment();
      return;
    }
    long more = unwarned.sumThenReset();
    LOG.log(Level.WARNING, "request bodies refused with 503: the buffers are full (memory " + budget.memoryUsed()
        + " of " + budget.memoryLimit() + " bytes, disk " + budget.diskUsed() + " of " + budget.diskLimit()
        + " bytes; buffers.memoryTotal and buffers.disk set them)"
        + (more > 0 ? "; " + more + " more since the last such line" : ""));
  }

  Settings settings() {
    return settings;
  }

  Forwarding forwarding() {
    return forwarding;
  }
}
