package io.sluice.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Finding and relistening sockets this process did not open itself: Vert.x's, as Sluice will. */
class ListenersTest {

  @TempDir Path dir;

  private final Listeners listeners = Listeners.system();

  @ParameterizedTest(name = "native transport: {0}")
  @ValueSource(booleans = {true, false})
  void relistensVertxServersOnTcpAndUnixWithoutClosingThem(boolean nativeTransport) throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(nativeTransport));
    try (KernelQueues queues = KernelQueues.open()) {
      assertEquals(nativeTransport, vertx.isNativeTransportEnabled(), "epoll transport loaded");
      HttpServer tcp = await(vertx.createHttpServer().requestHandler(r -> r.response().end("ok")).listen(0, "127.0.0.1"));
      Path path = dir.resolve("vertx.sock");
      await(vertx.createHttpServer().requestHandler(r -> r.response().end("ok"))
          .listen(SocketAddress.domainSocketAddress(path.toString())));
      InetSocketAddress tcpAddress = new InetSocketAddress("127.0.0.1", tcp.actualPort());
      UnixDomainSocketAddress unixAddress = UnixDomainSocketAddress.of(path);
      int somaxconn = listeners.somaxconn();

      // Vert.x's default backlog (-1) is Netty's, read from somaxconn.
      KernelQueue.Known tcpBefore = known(queues, tcpAddress);
      KernelQueue.Known unixBefore = known(queues, unixAddress);
      assertEquals(somaxconn, tcpBefore.max());
      assertEquals(somaxconn, unixBefore.max());

      ListenerSocket tcpSocket = listeners.findTcp(tcpAddress);
      ListenerSocket unixSocket = listeners.findUnix(path);
      assertEquals(tcpBefore.inode(), tcpSocket.inode());
      assertEquals(unixBefore.inode(), unixSocket.inode());

      listeners.relisten(tcpSocket, 77);
      listeners.relisten(unixSocket, 78);

      assertEquals(new KernelQueue.Known(tcpSocket.inode(), 0, 77), known(queues, tcpAddress));
      assertEquals(new KernelQueue.Known(unixSocket.inode(), 0, 78), known(queues, unixAddress));
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + tcp.actualPort() + "/")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals("ok", response.body(), "the server still serves after listen(77)");
    } finally {
      await(vertx.close());
    }
  }

  @Test
  void refusesADescriptorThatNoLongerHoldsTheSocket() throws Exception {
    ListenerSocket found;
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress("127.0.0.1", 0), 5);
      found = listeners.findTcp((InetSocketAddress) server.getLocalAddress());
    }
    IOException e = assertThrows(IOException.class, () -> listeners.relisten(found, 10));
    assertTrue(e.getMessage().contains("no longer holds socket inode " + found.inode()), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> listeners.relisten(found, -1));
  }

  @Test
  void listenFailuresCarryTheErrnoText() throws Exception {
    Set<Long> before = ProcFs.socketFds().keySet();
    try (DatagramChannel udp = DatagramChannel.open()) {
      Map<Long, Integer> fds = ProcFs.socketFds();
      long inode = fds.keySet().stream().filter(i -> !before.contains(i)).findFirst().orElseThrow();
      ListenerSocket notTcp = new ListenerSocket(inode, fds.get(inode));
      IOException e = assertThrows(IOException.class, () -> listeners.relisten(notTcp, 10));
      // EOPNOTSUPP, which Linux also names ENOTSUP (both 95).
      assertTrue(e.getMessage().startsWith("listen(fd " + notTcp.fd() + ", 10): Operation not supported ("), e.getMessage());
    }
  }

  private static KernelQueue.Known known(KernelQueues queues, java.net.SocketAddress address) {
    KernelQueue reading = queues.read(address);
    return assertInstanceOf(KernelQueue.Known.class, reading, () -> address + ": " + reading);
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
