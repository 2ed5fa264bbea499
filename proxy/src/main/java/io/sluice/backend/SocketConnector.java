package io.sluice.backend;

import io.netty.util.concurrent.FastThreadLocal;
import io.sluice.config.BackendConfig;
import io.sluice.net.Sockets;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayDeque;

/**
 * The {@link Connector} of one backend over Vert.x's {@link NetClient}. A connection is opened from the event loop of
 * the call that needs it and stays on that loop: each loop keeps its own idle connections, most recently used first
 * (no locking, no hand-over between threads), and its own {@link CallTimeouts}.
 */
public final class SocketConnector implements Connector {

  /** Idle connections older than this are closed rather than reused, well before common keep-alive timeouts. */
  private static final long IDLE_NANOS = 1_500_000_000L;
  private static final int MAX_IDLE_PER_LOOP = 256;

  private final BackendProtocol protocol;
  private final NetClient client;
  private final SocketAddress address;
  private final FastThreadLocal<CallTimeouts> timeouts;
  private final FastThreadLocal<ArrayDeque<SocketConnection>> idle = new FastThreadLocal<>() {
    @Override
    protected ArrayDeque<SocketConnection> initialValue() {
      return new ArrayDeque<>();
    }
  };

  public SocketConnector(Vertx vertx, BackendConfig config, BackendProtocol protocol) {
    this.protocol = protocol;
    this.client = vertx.createNetClient(new NetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
        .setTcpNoDelay(true));
    this.address = Sockets.connectAddress(config.address());
    long timeoutNanos = config.timeout().toNanos();
    this.timeouts = new FastThreadLocal<>() {
      @Override
      protected CallTimeouts initialValue() {
        return new CallTimeouts(timeoutNanos, System::nanoTime, (ms, task) -> vertx.setPeriodic(ms, id -> task.run()));
      }
    };
  }

  @Override
  public BackendConnection idle() {
    ArrayDeque<SocketConnection> deque = idle.get();
    long now = System.nanoTime();
    SocketConnection c;
    while ((c = deque.pollFirst()) != null) {
      if (!c.closed() && now - c.idleSince() < IDLE_NANOS) {
        return c;
      }
      c.close();
    }
    return null;
  }

  @Override
  public Future<BackendConnection> connect() {
    return client.connect(address).map(socket -> new SocketConnection(this, protocol, socket));
  }

  @Override
  public void recycle(BackendConnection connection) {
    // Only this connector's connections come back to it.
    SocketConnection c = (SocketConnection) connection;
    ArrayDeque<SocketConnection> deque = idle.get();
    if (deque.size() >= MAX_IDLE_PER_LOOP) {
      c.close();
      return;
    }
    c.markIdle(System.nanoTime());
    deque.addFirst(c);
  }

  @Override
  public CallTimeouts timeouts() {
    return timeouts.get();
  }

  @Override
  public Future<Boolean> probe() {
    return client.connect(address).transform(ar -> {
      if (ar.succeeded()) {
        ar.result().close();
        return Future.succeededFuture(true);
      }
      return Future.succeededFuture(ConnectFailures.busy(ar.cause()));
    });
  }

  @Override
  public Future<Void> close() {
    return client.close();
  }

  /** Forgets a connection the backend closed while it was idle. */
  void forget(SocketConnection c) {
    idle.get().remove(c);
  }
}
