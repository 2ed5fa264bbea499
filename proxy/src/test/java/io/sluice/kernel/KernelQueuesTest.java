package io.sluice.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Accept queues of real listening sockets, read through sock_diag, and changed through listen(2). */
class KernelQueuesTest {

  @TempDir Path dir;

  private final List<AutoCloseable> open = new ArrayList<>();
  private KernelQueues queues;

  @BeforeEach
  void openSampler() {
    queues = KernelQueues.open();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    queues.close();
  }

  @Test
  void tcpQueueDepthAndMaxFollowRelisten() throws Exception {
    ServerSocketChannel server = tcpServer(InetAddress.getLoopbackAddress(), 5);
    queuedRelistenAndAccept(server, (InetSocketAddress) server.getLocalAddress(),
        Listeners.system().findTcp((InetSocketAddress) server.getLocalAddress()));
  }

  @Test
  void unixQueueDepthAndMaxFollowRelisten() throws Exception {
    Path path = dir.resolve("app.sock");
    ServerSocketChannel server = unixServer(path, 5);
    queuedRelistenAndAccept(server, UnixDomainSocketAddress.of(path), Listeners.system().findUnix(path));
  }

  @Test
  void ipv6LoopbackTcp() throws Exception {
    InetAddress loopback6 = InetAddress.getByName("::1");
    ServerSocketChannel server;
    try {
      server = tcpServer(loopback6, 5);
    } catch (IOException e) {
      assumeTrue(false, "::1 is not configured here: " + e);
      return;
    }
    queuedRelistenAndAccept(server, (InetSocketAddress) server.getLocalAddress(),
        Listeners.system().findTcp((InetSocketAddress) server.getLocalAddress()));
  }

  /** 3 clients wait in a backlog of 5; listen(50) keeps them and shows the new maximum. */
  private void queuedRelistenAndAccept(ServerSocketChannel server, SocketAddress address, ListenerSocket socket)
      throws Exception {
    for (int i = 0; i < 3; i++) {
      open.add(connect(address));
    }
    KernelQueue.Known before = awaitDepth(address, 3);
    assertEquals(5, before.max());
    assertEquals(socket.inode(), before.inode());

    Listeners.system().relisten(socket, 50);

    KernelQueue.Known after = known(address);
    assertEquals(new KernelQueue.Known(before.inode(), 3, 50), after);
    server.configureBlocking(false);
    for (int i = 0; i < 3; i++) {
      SocketChannel accepted = server.accept();
      assertNotNull(accepted, "queued connection " + i + " survived listen(50)");
      open.add(accepted);
    }
    assertNull(server.accept());
    assertEquals(new KernelQueue.Known(before.inode(), 0, 50), known(address));
  }

  @Test
  void theKernelCapsABacklogAboveSomaxconnSilently() throws Exception {
    int somaxconn = Listeners.system().somaxconn();
    assertTrue(somaxconn > 0, "somaxconn " + somaxconn);
    ServerSocketChannel tcp = tcpServer(InetAddress.getLoopbackAddress(), 5);
    InetSocketAddress tcpAddress = (InetSocketAddress) tcp.getLocalAddress();
    Path path = dir.resolve("capped.sock");
    unixServer(path, 5);
    UnixDomainSocketAddress unixAddress = UnixDomainSocketAddress.of(path);

    for (int backlog : new int[] {somaxconn + 1000, somaxconn, 7}) {
      Listeners.system().relisten(Listeners.system().findTcp(tcpAddress), backlog);
      Listeners.system().relisten(Listeners.system().findUnix(path), backlog);
      Map<SocketAddress, KernelQueue> read = queues.read(List.of(tcpAddress, unixAddress));
      assertEquals(Math.min(backlog, somaxconn), ((KernelQueue.Known) read.get(tcpAddress)).max(), "tcp " + backlog);
      assertEquals(Math.min(backlog, somaxconn), ((KernelQueue.Known) read.get(unixAddress)).max(), "unix " + backlog);
    }
  }

  @Test
  void whatIsNotListeningHereIsUnknown() throws Exception {
    Path missing = dir.resolve("missing.sock");
    Path regular = Files.writeString(dir.resolve("regular"), "x");
    Path stale = dir.resolve("stale.sock");
    unixServer(stale, 5).close(); // the JDK leaves the file behind: connect would be refused
    ServerSocketChannel closedTcp = tcpServer(InetAddress.getLoopbackAddress(), 5);
    InetSocketAddress freedPort = (InetSocketAddress) closedTcp.getLocalAddress();
    closedTcp.close();
    InetSocketAddress remote = new InetSocketAddress(InetAddress.getByName("192.0.2.10"), 80);

    Map<SocketAddress, KernelQueue> read = queues.read(List.of(
        UnixDomainSocketAddress.of(missing), UnixDomainSocketAddress.of(regular), UnixDomainSocketAddress.of(stale),
        freedPort, remote, InetSocketAddress.createUnresolved("nowhere.invalid", 80)));

    assertEquals(6, read.size());
    read.forEach((address, reading) -> assertInstanceOf(KernelQueue.Unknown.class, reading, address.toString()));
    assertTrue(reason(read.get(UnixDomainSocketAddress.of(missing))).startsWith("no such file"));
    assertTrue(reason(read.get(UnixDomainSocketAddress.of(regular))).startsWith("not a socket"));
    assertTrue(reason(read.get(UnixDomainSocketAddress.of(stale))).startsWith("no listening socket at"));
    assertTrue(reason(read.get(remote)).startsWith("no listening TCP socket for"));
    assertThrows(IOException.class, () -> Listeners.system().findUnix(stale));
    assertThrows(IOException.class, () -> Listeners.system().findTcp(freedPort));
  }

  @Test
  void aRelativePathReachesTheSameSocket() throws Exception {
    Path path = dir.resolve("rel.sock");
    unixServer(path, 9);
    Path relative = Path.of("").toAbsolutePath().relativize(path);
    assertEquals(9, known(UnixDomainSocketAddress.of(relative)).max());
  }

  @Test
  void oneReadServesManyTargetsAndTheSamplerIsReused() throws Exception {
    List<SocketAddress> targets = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      targets.add(tcpServer(InetAddress.getLoopbackAddress(), 10 + i).getLocalAddress());
      Path path = dir.resolve("s" + i + ".sock");
      unixServer(path, 20 + i);
      targets.add(UnixDomainSocketAddress.of(path));
    }
    for (int round = 0; round < 3; round++) {
      Map<SocketAddress, KernelQueue> read = queues.read(targets);
      assertEquals(targets, new ArrayList<>(read.keySet()));
      for (int i = 0; i < 4; i++) {
        assertEquals(10 + i, ((KernelQueue.Known) read.get(targets.get(2 * i))).max());
        assertEquals(20 + i, ((KernelQueue.Known) read.get(targets.get(2 * i + 1))).max());
      }
    }
    queues.close();
    assertThrows(IllegalStateException.class, () -> queues.read(targets));
  }

  private ServerSocketChannel tcpServer(InetAddress address, int backlog) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    open.add(server);
    server.bind(new InetSocketAddress(address, 0), backlog);
    return server;
  }

  private ServerSocketChannel unixServer(Path path, int backlog) throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    open.add(server);
    server.bind(UnixDomainSocketAddress.of(path), backlog);
    return server;
  }

  private static SocketChannel connect(SocketAddress address) throws IOException {
    SocketChannel client = SocketChannel.open(
        address instanceof UnixDomainSocketAddress ? StandardProtocolFamily.UNIX
            : ((InetSocketAddress) address).getAddress() instanceof java.net.Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
    client.connect(address);
    return client;
  }

  private KernelQueue.Known known(SocketAddress address) {
    KernelQueue reading = queues.read(address);
    return assertInstanceOf(KernelQueue.Known.class, reading, () -> address + ": " + reading);
  }

  /** A TCP connection joins the accept queue once the handshake's last ACK is processed: poll briefly. */
  private KernelQueue.Known awaitDepth(SocketAddress address, int depth) throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    KernelQueue.Known k = known(address);
    while (k.depth() != depth && System.nanoTime() < deadline) {
      Thread.sleep(10);
      k = known(address);
    }
    assertEquals(depth, k.depth(), address.toString());
    return k;
  }

  private static String reason(KernelQueue reading) {
    return ((KernelQueue.Unknown) reading).reason();
  }
}
