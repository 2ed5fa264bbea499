package io.sluice.backend;

import io.netty.util.concurrent.FastThreadLocal;
import io.sluice.buffer.BodyBuffer;
import io.sluice.config.BackendConfig;
import io.sluice.config.Protocol;
import io.sluice.net.Sockets;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayDeque;

/**
 * One backend: where it is, how to encode a request for it, and its idle connections.
 *
 * <p>Connections are opened from the event loop of the request that needs one and stay on that loop: each loop
 * keeps its own idle connections (no locking, no hand-over between threads), most recently used first. Sluice's
 * dispatcher bounds how many requests are inside the backend, so there is no pool limit and no pool wait queue here:
 * a request with a permit always gets a connection at once, reused or new.
 */
public final class Backend {

  /** Idle connections older than this are closed rather than reused, well before common keep-alive timeouts. */
  private static final long IDLE_NANOS = 1_500_000_000L;
  private static final int MAX_IDLE_PER_LOOP = 256;
  static final int MAX_RESPONSE_HEAD = 64 * 1024;

  private final Vertx vertx;
  private final int index;
  private final BackendConfig config;
  private final RequestEncoder encoder;
  private final NetClient client;
  private final SocketAddress address;
  private final FastThreadLocal<CallTimeouts> timeouts = new FastThreadLocal<>() {
    @Override
    protected CallTimeouts initialValue() {
      return new CallTimeouts(vertx, config.timeout().toNanos());
    }
  };
  private final FastThreadLocal<ArrayDeque<BackendConnection>> idle = new FastThreadLocal<>() {
    @Override
    protected ArrayDeque<BackendConnection> initialValue() {
      return new ArrayDeque<>();
    }
  };

  public Backend(Vertx vertx, int index, BackendConfig config) {
    this.vertx = vertx;
    this.index = index;
    this.config = config;
    this.encoder = RequestEncoder.forBackend(config);
    this.client = vertx.createNetClient(new NetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
        .setTcpNoDelay(true));
    this.address = Sockets.connectAddress(config.address());
  }

  /** Position in configuration order; the dispatcher's backend index. */
  public int index() {
    return index;
  }

  public BackendConfig config() {
    return config;
  }

  /**
   * Encodes a request's head for this backend.
   *
   * @throws RequestRefusedException when the backend could not take it (uwsgi variables over its buffer)
   */
  public Buffer encode(RequestHead head) throws RequestRefusedException {
    return encoder.encode(head);
  }

  /**
   * Sends one request: on a reused connection when one is idle on this event loop, else on a new one. Call on an
   * event loop; {@code listener} is called back on it.
   *
   * @param method  the request method (a HEAD response has no body)
   * @param head    the encoded head, from {@link #encode}
   * @param body    the request body, or {@code null}
   */
  public BackendCall call(String method, Buffer head, BodyBuffer body, BackendListener listener) {
    BackendCall call = new BackendCall(this, timeouts.get(), method, head, body, listener, config.timeout().toNanos());
    call.start();
    return call;
  }

  /**
   * Whether the backend accepts connections now: connects and closes. A backend whose queue is full is busy, not
   * gone, so that counts as reachable. Call on an event loop.
   */
  public Future<Boolean> probe() {
    return connect().transform(ar -> {
      if (ar.succeeded()) {
        ar.result().close();
        return Future.succeededFuture(true);
      }
      return Future.succeededFuture(ConnectFailures.busy(ar.cause()));
    });
  }

  /** Closes idle connections and the client. */
  public Future<Void> close() {
    return client.close();
  }

  /** Whether a request encoded for {@code other} is, byte for byte, what this backend needs too. */
  public boolean encodesLike(Backend other) {
    BackendConfig o = other.config;
    return config.protocol() == o.protocol()
        && (config.protocol() == Protocol.HTTP
            || (config.bufferSize() == o.bufferSize() && config.maxVars() == o.maxVars()));
  }

  /** Whether a connection may carry another request after a complete response: HTTP yes, uwsgi never. */
  boolean reusesConnections() {
    return config.protocol() == Protocol.HTTP;
  }

  Future<NetSocket> connect() {
    return client.connect(address);
  }

  /** An idle connection of this event loop that is still fit for reuse, or {@code null}. */
  BackendConnection pollIdle() {
    ArrayDeque<BackendConnection> deque = idle.get();
    long now = System.nanoTime();
    BackendConnection c;
    while ((c = deque.pollFirst()) != null) {
      if (!c.closed() && now - c.idleSince() < IDLE_NANOS) {
        return c;
      }
      c.close();
    }
    return null;
  }

  void offerIdle(BackendConnection c) {
    ArrayDeque<BackendConnection> deque = idle.get();
    if (deque.size() >= MAX_IDLE_PER_LOOP) {
      c.close();
      return;
    }
    c.markIdle();
    deque.addFirst(c);
  }

  /** Forgets a connection the backend closed while it was idle. */
  void removeIdle(BackendConnection c) {
    idle.get().remove(c);
  }

  @Override
  public String toString() {
    return config.name() + " (" + config.address() + ")";
  }
}
