package io.sluice.backend;

import io.netty.util.concurrent.FastThreadLocal;
import io.sluice.config.BackendConfig;
import io.sluice.net.Sockets;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;
import java.util.function.IntSupplier;

/**
 * The {@link Connector} of one backend over Vert.x's {@link NetClient}. A connection is opened from the event loop of
 * the call that needs it and stays on that loop: each loop keeps its own idle connections and its own
 * {@link CallTimeouts}. The connections open to the backend, in use and idle on every loop, are kept at or below its
 * limit, and idle ones are closed after {@link #MAX_IDLE_NANOS} ({@link ConnectionPool} says why and how).
 */
public final class SocketConnector implements Connector {

  /**
   * Idle connections older than this are closed, well before common keep-alive timeouts (gunicorn's default is 2 s)
   * close them on the backend's side: a request written just as the backend closes would have to be sent again.
   */
  static final long MAX_IDLE_NANOS = 1_000_000_000L;
  private static final int MAX_IDLE_PER_LOOP = 256;

  private final BackendProtocol protocol;
  private final NetClient client;
  private final SocketAddress address;
  private volatile IntSupplier limit = () -> Integer.MAX_VALUE;
  private final ConnectionPool<SocketConnection> pool;
  private final FastThreadLocal<CallTimeouts> timeouts;
  private final FastThreadLocal<ConnectionPool<SocketConnection>.Local> idle;

  public SocketConnector(Vertx vertx, BackendConfig config, BackendProtocol protocol) {
    this.protocol = protocol;
    this.client = vertx.createNetClient(new NetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
        .setTcpNoDelay(true));
    this.address = Sockets.connectAddress(config.address());
    this.pool = new ConnectionPool<>(() -> limit.getAsInt(), System::nanoTime, MAX_IDLE_NANOS, MAX_IDLE_PER_LOOP);
    long timeoutNanos = config.timeout().toNanos();
    this.timeouts = new FastThreadLocal<>() {
      @Override
      protected CallTimeouts initialValue() {
        return new CallTimeouts(timeoutNanos, System::nanoTime, (ms, task) -> vertx.setPeriodic(ms, id -> task.run()));
      }
    };
    this.idle = new FastThreadLocal<>() {
      @Override
      protected ConnectionPool<SocketConnection>.Local initialValue() {
        // Made on the loop itself, from one of its handlers: timers set here run on this loop.
        Context context = vertx.getOrCreateContext();
        return pool.local(Loop.of(context),
            (delayNanos, task) -> vertx.setTimer(Math.max(1, delayNanos / 1_000_000), id -> task.run()));
      }
    };
  }

  /** How the connections speak to the backend. */
  BackendProtocol protocol() {
    return protocol;
  }

  @Override
  public void limitBy(IntSupplier limit) {
    this.limit = limit;
  }

  @Override
  public BackendConnection idle() {
    return idle.get().take();
  }

  @Override
  public Future<BackendConnection> connect() {
    pool.opened();
    return client.connect(address).transform(ar -> {
      if (ar.failed()) {
        pool.released();
        return Future.failedFuture(ar.cause());
      }
      return Future.succeededFuture(new SocketConnection(this, ar.result()));
    });
  }

  @Override
  public void recycle(BackendConnection connection) {
    // Only this connector's connections come back to it.
    idle.get().give((SocketConnection) connection);
  }

  @Override
  public void trim() {
    pool.trim();
  }

  @Override
  public boolean acceptQueue(int depth) {
    return pool.acceptQueue(depth);
  }

  @Override
  public CallTimeouts timeouts() {
    return timeouts.get();
  }

  /**
   * Connects and closes, counted with the connections in use: when the backend already holds as many of Sluice's
   * connections as its limit allows, no probe is made and the answer is yes (it accepted those).
   */
  @Override
  public Future<Boolean> probe() {
    if (!pool.tryOpened()) {
      return Future.succeededFuture(true);
    }
    return client.connect(address).transform(ar -> {
      pool.released();
      if (ar.succeeded()) {
        ar.result().close();
        return Future.succeededFuture(true);
      }
      return Future.succeededFuture(ConnectFailures.busy(ar.cause()));
    });
  }

  @Override
  public int openConnections() {
    return pool.open();
  }

  @Override
  public int idleConnections() {
    return pool.idle();
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }

  /** A connection counted when its connect started is gone. */
  void released() {
    pool.released();
  }

  /** Forgets a connection the backend closed while it was idle. On the connection's loop. */
  void forget(SocketConnection c) {
    idle.get().remove(c);
  }
}
