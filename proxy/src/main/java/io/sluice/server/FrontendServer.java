package io.sluice.server;

import io.sluice.config.Address;
import io.sluice.net.Sockets;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The client-facing HTTP/1.1 listeners: every configured address, served by one server instance per event loop
 * (Vert.x shares each listening socket between them and spreads accepted connections across the loops).
 */
public final class FrontendServer {

  private final List<HttpServer> servers;
  private final List<Address> bound;

  /**
   * One listener to open.
   *
   * @param address       where
   * @param backlog       the kernel accept-queue length to ask for (already resolved from {@code max})
   * @param proxyProtocol every connection must start with a PROXY protocol header, v1 or v2, whose source address
   *                      becomes the client's; a connection without a valid one within {@link #PROXY_HEADER_TIMEOUT}
   *                      is closed. Whoever connects is believed, so such a listener must be reachable by the
   *                      balancer alone.
   */
  public record Listener(Address address, int backlog, boolean proxyProtocol) {

    /** A listener without the PROXY protocol. */
    public Listener(Address address, int backlog) {
      this(address, backlog, false);
    }
  }

  /** How long a connection to a PROXY protocol listener has to send its header: Vert.x's default, stated here. */
  public static final Duration PROXY_HEADER_TIMEOUT = Duration.ofSeconds(10);

  private FrontendServer(List<Address> bound, List<HttpServer> servers) {
    this.bound = List.copyOf(bound);
    this.servers = List.copyOf(servers);
  }

  /**
   * Opens every listener on {@code instances} event loops. A TCP port 0 becomes one port the kernel chooses, shared
   * by every instance (Vert.x shares a random port among servers that listen on the same negative port).
   */
  public static Future<FrontendServer> start(Vertx vertx, Proxy handler, List<Listener> listeners, int instances) {
    List<List<HttpServer>> byListener = new ArrayList<>();
    for (int i = 0; i < listeners.size(); i++) {
      byListener.add(new CopyOnWriteArrayList<>());
    }
    return vertx.deployVerticle(() -> context -> listenAll(vertx, handler, listeners, byListener),
            new DeploymentOptions().setInstances(instances))
        .map(id -> {
          List<Address> bound = new ArrayList<>();
          List<HttpServer> servers = new ArrayList<>();
          for (int i = 0; i < listeners.size(); i++) {
            Address a = listeners.get(i).address();
            HttpServer first = byListener.get(i).get(0);
            bound.add(a instanceof Address.Tcp t ? new Address.Tcp(t.host(), first.actualPort()) : a);
            servers.addAll(byListener.get(i));
          }
          return new FrontendServer(bound, servers);
        });
  }

  private static Future<?> listenAll(Vertx vertx, Proxy handler, List<Listener> listeners,
      List<List<HttpServer>> byListener) {
    List<Future<HttpServer>> all = new ArrayList<>();
    for (int i = 0; i < listeners.size(); i++) {
      Listener l = listeners.get(i);
      HttpServer server = vertx.createHttpServer(options(l)).requestHandler(handler)
          .connectionHandler(handler::connected);
      byListener.get(i).add(server);
      if (l.address() instanceof Address.Tcp t && t.port() == 0) {
        // listen(int, String) is the public form that admits Vert.x's negative "shared random port".
        all.add(server.listen(-(i + 1), t.bindHost()));
      } else {
        all.add(server.listen(Sockets.bindAddress(l.address())));
      }
    }
    return Future.all(all);
  }

  private static HttpServerOptions options(Listener l) {
    return new HttpServerOptions()
        .setAcceptBacklog(l.backlog())
        .setReuseAddress(true)
        .setTcpNoDelay(true)
        // Idle keep-alive connections are not timed out by Vert.x: its idle timer would also close a connection
        // whose request is waiting in Sluice's queue.
        .setIdleTimeout(0)
        .setHandle100ContinueAutomatically(false)
        .setCompressionSupported(false)
        .setDecompressionSupported(false)
        .setHttp2ClearTextEnabled(false)
        .setMaxInitialLineLength(8192)
        .setMaxHeaderSize(32 * 1024)
        .setMaxChunkSize(64 * 1024)
        // Every response is written on its connection's event loop (the dispatcher's verdicts are moved there
        // first), so Vert.x can write directly instead of through a cross-thread queue.
        .setStrictThreadMode(true)
        // Vert.x reads the header with Netty's HAProxyMessageDecoder (netty-codec-haproxy) and reports its source and
        // destination as the connection's remote and local address.
        .setUseProxyProtocol(l.proxyProtocol())
        .setProxyProtocolTimeout(PROXY_HEADER_TIMEOUT.toMillis())
        .setProxyProtocolTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  /** The listeners as bound, in configuration order: a port 0 is replaced by the port the kernel chose. */
  public List<Address> addresses() {
    return bound;
  }

  /**
   * Stops accepting; each connection closes after its current response; after {@code timeout} the rest are closed.
   */
  public Future<Void> shutdown(Duration timeout) {
    List<Future<Void>> all = new ArrayList<>();
    for (HttpServer s : servers) {
      all.add(s.shutdown(timeout));
    }
    return Future.join(all).mapEmpty();
  }
}
