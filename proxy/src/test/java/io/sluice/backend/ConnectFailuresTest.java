package io.sluice.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real connect failures, provoked on a Unix socket with each transport Vert.x may use: a full accept queue (EAGAIN)
 * reads as busy; no listener (ECONNREFUSED) and no socket file (ENOENT) read as down.
 */
class ConnectFailuresTest {

  @TempDir
  Path dir;

  @ParameterizedTest(name = "native transport: {0}")
  @ValueSource(booleans = {true, false})
  void classifiesWhatEachTransportReports(boolean nativeTransport) throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(nativeTransport));
    try {
      assertEquals(nativeTransport, vertx.isNativeTransportEnabled(), "the transport under test is in use");
      NetClient client = vertx.createNetClient();

      Path full = dir.resolve("full.sock");
      try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        server.bind(UnixDomainSocketAddress.of(full), 1);
        Throwable busy = null;
        // A backlog of 1 holds two connections; keep connecting until one is refused.
        for (int i = 0; i < 10 && busy == null; i++) {
          try {
            NetSocket s = client.connect(SocketAddress.domainSocketAddress(full.toString())).await(5, TimeUnit.SECONDS);
            s.handler(b -> { });
          } catch (Exception e) {
            busy = e;
          }
        }
        assertTrue(busy != null, "the accept queue never filled");
        assertTrue(ConnectFailures.busy(busy), "EAGAIN must read as busy: " + busy);
      }

      Path stale = dir.resolve("stale.sock");
      ServerSocketChannel closed = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      closed.bind(UnixDomainSocketAddress.of(stale));
      closed.close();
      assertTrue(Files.exists(stale));
      Throwable refused = failure(client, stale);
      assertFalse(ConnectFailures.busy(refused), "ECONNREFUSED must read as down: " + refused);

      Throwable missing = failure(client, dir.resolve("missing.sock"));
      assertFalse(ConnectFailures.busy(missing), "ENOENT must read as down: " + missing);
      assertFalse(ConnectFailures.describe(missing).isEmpty());
    } finally {
      vertx.close().await();
    }
  }

  private static Throwable failure(NetClient client, Path path) {
    try {
      client.connect(SocketAddress.domainSocketAddress(path.toString())).await(5, TimeUnit.SECONDS);
      throw new AssertionError("connected to " + path);
    } catch (AssertionError e) {
      throw e;
    } catch (Exception e) {
      return e;
    }
  }
}
