package io.sluice.server;

import io.sluice.backend.Backend;
import io.sluice.backend.ConnectFailures;
import io.sluice.metrics.Metrics;
import io.sluice.queue.Dispatcher;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What every request shares: the dispatcher, the backends, the body-buffering settings, the counters. One per
 * process; the front's request handler on every event loop. Thread-safe.
 */
public final class Proxy implements Handler<HttpServerRequest> {

  private static final System.Logger LOG = System.getLogger(Proxy.class.getName());
  private static final long CONNECT_LOG_INTERVAL_NANOS = 10_000_000_000L;

  private final Vertx vertx;
  private final Dispatcher dispatcher;
  private final List<Backend> backends;
  private final Stats stats;
  private final Metrics metrics;
  private final AtomicLongArray lastConnectLog;
  private volatile Settings settings;
  private final FastThreadLocal<ClientConnections> connections = new FastThreadLocal<>() {
    @Override
    protected ClientConnections initialValue() {
      Settings s = settings;
      return new ClientConnections(vertx, s.clientIdleTimeout().toNanos(), s.clientBodyTimeout().toNanos());
    }
  };

  /**
   * How request and response bodies are held.
   *
   * @param maxBody      largest request body accepted (413 past it)
   * @param memoryBuffer bytes of one body kept in memory before spilling to a file
   * @param tempDir      where spill files go
   * @param maxSpool     unread bytes a response spool may hold on disk before the backend is paused
   * @param clientIdleTimeout a client connection with no request under way is closed after this long
   * @param clientBodyTimeout a request body that stops arriving for this long is answered 408
   */
  public record Settings(long maxBody, int memoryBuffer, Path tempDir, long maxSpool, Duration clientIdleTimeout,
      Duration clientBodyTimeout) {
    public Settings {
      Objects.requireNonNull(tempDir, "tempDir");
    }
  }

  public Proxy(Vertx vertx, Dispatcher dispatcher, List<Backend> backends, Settings settings, Stats stats,
      Metrics metrics) {
    this.vertx = vertx;
    this.dispatcher = dispatcher;
    this.backends = List.copyOf(backends);
    this.settings = settings;
    this.stats = stats;
    this.metrics = metrics;
    this.lastConnectLog = new AtomicLongArray(backends.size());
  }

  /** Called for every new client connection, on its event loop. */
  public void connected(HttpConnection connection) {
    connections.get().opened(connection);
  }

  @Override
  public void handle(HttpServerRequest request) {
    new Exchange(this, request, vertx.getOrCreateContext()).start();
  }

  public Dispatcher dispatcher() {
    return dispatcher;
  }

  public List<Backend> backends() {
    return backends;
  }

  public Stats stats() {
    return stats;
  }

  Metrics metrics() {
    return metrics;
  }

  Vertx vertx() {
    return vertx;
  }

  Settings settings() {
    return settings;
  }

  /** This event loop's client connections. */
  ClientConnections connections() {
    return connections.get();
  }

  /** The listener's address as a {@code Host} value, for requests that came without one. */
  String listenHost(SocketAddress local) {
    if (local == null || local.isDomainSocket()) {
      return "localhost";
    }
    String host = local.hostAddress();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + local.port();
  }

  /** Notes a failed connect; logs the first of a series, then at most once every ten seconds per backend. */
  void connectFailed(Backend backend, boolean busy, Throwable cause) {
    long now = System.nanoTime();
    int i = backend.index();
    long last = lastConnectLog.get(i);
    if ((last == 0 || now - last >= CONNECT_LOG_INTERVAL_NANOS) && lastConnectLog.compareAndSet(i, last, now)) {
      LOG.log(Level.WARNING, "backend " + backend + " " + (busy ? "is busy (its accept queue is full)"
          : "is not accepting connections") + ": " + ConnectFailures.describe(cause)
          + "; requests stay queued and are retried");
    }
  }
}
