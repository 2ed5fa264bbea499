package io.sluice.server;

import io.netty.util.concurrent.FastThreadLocal;
import io.sluice.backend.Loop;
import io.sluice.backend.Upstreams;
import io.sluice.buffer.BodyBuffer;
import io.sluice.buffer.Spool;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What every client exchange shares: the backends, the body-buffering settings, the counters, and per event loop its
 * client connections and its {@link Loop}. One per process; the front's request handler on every event loop.
 * Thread-safe.
 */
public final class Proxy implements Handler<HttpServerRequest> {

  private final Vertx vertx;
  private final Upstreams upstreams;
  private final Stats stats;
  private final Settings settings;
  private final Forwarding forwarding;
  private final FastThreadLocal<ClientConnections> connections = new FastThreadLocal<>() {
    @Override
    protected ClientConnections initialValue() {
      return new ClientConnections(vertx, settings.clientIdleTimeout().toNanos(),
          settings.clientBodyTimeout().toNanos());
    }
  };
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

  /** A proxy that trusts no client's forwarding headers and stamps {@code X-Request-Start}. */
  public Proxy(Vertx vertx, Upstreams upstreams, Settings settings, Stats stats) {
    this(vertx, upstreams, settings, stats, Forwarding.DEFAULTS);
  }

  /** @param forwarding whose forwarding headers are kept, and whether {@code X-Request-Start} is stamped */
  public Proxy(Vertx vertx, Upstreams upstreams, Settings settings, Stats stats, Forwarding forwarding) {
    this.vertx = vertx;
    this.upstreams = upstreams;
    this.settings = settings;
    this.stats = stats;
    this.forwarding = Objects.requireNonNull(forwarding, "forwarding");
  }

  /** Called for every new client connection, on its event loop. */
  public void connected(HttpConnection connection) {
    connections.get().opened(connection);
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

  /** A buffer for a whole body: the one place they are made, where a total budget would be kept. */
  BodyBuffer newBodyBuffer() {
    return new BodyBuffer(vertx, settings.tempDir(), settings.memoryBuffer());
  }

  /** A spool for a response to a slow client: the one place they are made, where a total budget would be kept. */
  Spool newSpool() {
    return new Spool(vertx, settings.tempDir(), settings.memoryBuffer(), settings.maxSpool());
  }

  Settings settings() {
    return settings;
  }

  Forwarding forwarding() {
    return forwarding;
  }

  /** This event loop's client connections. */
  ClientConnections connections() {
    return connections.get();
  }
}
