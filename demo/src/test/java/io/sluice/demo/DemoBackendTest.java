package io.sluice.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoBackendTest {

  @TempDir
  Path dir;

  @Test
  void servesOneRequestPerConnection() throws Exception {
    try (DemoBackend backend = DemoBackend.start(dir.resolve("app.sock"), 100, 2, Duration.ZERO)) {
      for (int i = 0; i < 3; i++) {
        String response = exchange(backend.path(), "GET / HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n");
        assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
        assertTrue(response.contains("\r\nConnection: close\r\n"), response);
        assertTrue(response.matches("(?s).*\r\n\r\nhello from demo worker [12]\n"), response);
        String body = response.substring(response.indexOf("\r\n\r\n") + 4);
        assertTrue(response.contains("\r\nContent-Length: " + body.length() + "\r\n"), response);
      }
      String post = exchange(backend.path(), "POST /form HTTP/1.1\r\nHost: demo\r\nContent-Length: 11\r\n\r\nhello world");
      assertTrue(post.startsWith("HTTP/1.1 200 OK\r\n"), post);
      assertEquals(4, backend.served());
    }
  }

  @Test
  void answersMalformedRequestsWith400() throws Exception {
    try (DemoBackend backend = DemoBackend.start(dir.resolve("app.sock"), 100, 1, Duration.ZERO)) {
      assertTrue(exchange(backend.path(), "NONSENSE\r\n\r\n").startsWith("HTTP/1.1 400 Bad Request\r\n"));
      assertTrue(exchange(backend.path(), "GET / HTTP/1.1\r\nno colon\r\n\r\n").startsWith("HTTP/1.1 400 "));
      assertTrue(exchange(backend.path(), "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n").startsWith("HTTP/1.1 400 "));
      assertTrue(exchange(backend.path(), "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
          .startsWith("HTTP/1.1 411 "));
      assertEquals(0, backend.served());
    }
  }

  @Test
  void twoWorkersTakeTwoRoundsForFourRequests() throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(4);
    try (DemoBackend backend = DemoBackend.start(dir.resolve("app.sock"), 100, 2, Duration.ofMillis(50))) {
      long start = System.nanoTime();
      List<Future<String>> responses = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        responses.add(clients.submit(() -> exchange(backend.path(), "GET / HTTP/1.1\r\nHost: demo\r\n\r\n")));
      }
      for (Future<String> r : responses) {
        assertTrue(r.get().startsWith("HTTP/1.1 200 OK"));
      }
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      assertTrue(elapsedMs >= 90, "4 requests of 50 ms on 2 workers took only " + elapsedMs + " ms");
      assertEquals(4, backend.served());
    } finally {
      clients.shutdownNow();
    }
  }

  /**
   * A Unix listener queues {@code backlog + 1} connections; each worker holds one more. Past that a non-blocking
   * connect fails at once with EAGAIN, which is what nginx reports as a 502.
   */
  @Test
  void nonBlockingConnectsPastTheBacklogFailWithEagain() throws Exception {
    int backlog = 4;
    int workers = 2;
    List<SocketChannel> open = new ArrayList<>();
    int refused = 0;
    try (DemoBackend backend = DemoBackend.start(dir.resolve("app.sock"), backlog, workers, Duration.ofMillis(300))) {
      assertEquals(backlog, backend.backlog());
      for (int i = 0; i < 20; i++) {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.configureBlocking(false);
        try {
          ch.connect(UnixDomainSocketAddress.of(backend.path()));
          open.add(ch);
        } catch (SocketException e) {
          assertEquals("Resource temporarily unavailable", e.getMessage());
          ch.close();
          refused++;
        }
      }
    } finally {
      for (SocketChannel ch : open) {
        ch.close();
      }
    }
    // Silent clients hold the workers in read(), so at most `workers` connections leave the queue meanwhile.
    assertTrue(open.size() >= backlog + 1 && open.size() <= backlog + 1 + workers, "connected: " + open.size());
    assertEquals(20 - open.size(), refused);
  }

  @Test
  void replacesAStaleSocketAndDeletesItOnClose() throws Exception {
    Path path = dir.resolve("stale.sock");
    try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      old.bind(UnixDomainSocketAddress.of(path));
    }
    assertTrue(Files.exists(path));
    DemoBackend backend = DemoBackend.start(path, 10, 1, Duration.ZERO);
    assertTrue(exchange(path, "GET / HTTP/1.1\r\n\r\n").startsWith("HTTP/1.1 200 OK"));
    backend.close();
    backend.close();
    assertFalse(Files.exists(path));
  }

  @Test
  void refusesToReplaceAFileThatIsNotASocket() throws Exception {
    Path path = Files.writeString(dir.resolve("notes.txt"), "keep me");
    IOException e = assertThrows(IOException.class, () -> DemoBackend.start(path, 10, 1, Duration.ZERO));
    assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
    assertEquals("keep me", Files.readString(path));
  }

  @Test
  void refusesNonsensicalSettings() {
    Path path = dir.resolve("app.sock");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DemoBackend.start(path, 0, 1, Duration.ZERO));
    assertEquals("backlog: 0 (expected: >= 1)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DemoBackend.start(path, 10, 0, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> DemoBackend.start(path, 10, 1, Duration.ofMillis(-1)));
    assertThrows(IllegalArgumentException.class, () -> DemoBackend.start(path, Integer.MAX_VALUE, 1, Duration.ZERO));
  }

  /** Sends {@code request} on a fresh blocking connection and reads the response until the server closes. */
  static String exchange(Path socket, String request) throws IOException {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1));
      while (out.hasRemaining()) {
        ch.write(out);
      }
      ByteArrayOutputStream response = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.allocate(4096);
      while (ch.read(in) >= 0) {
        response.write(in.array(), 0, in.position());
        in.clear();
      }
      return response.toString(StandardCharsets.UTF_8);
    }
  }
}
