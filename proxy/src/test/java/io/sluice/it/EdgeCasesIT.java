package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static io.sluice.it.ScriptedBackend.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.queue.Dispatcher;
import io.sluice.queue.QueueSnapshot;
import io.sluice.server.RequestOutcome;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the request path treats the unusual: odd methods and statuses, old clients, broken backends. */
class EdgeCasesIT {

  @TempDir
  Path dir;

  /** A backend that answers every request with {@code ok} and keeps the connection alive. */
  private static boolean ok(ScriptedBackend.Request r, OutputStream out) throws Exception {
    write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    return true;
  }

  /** Sends raw bytes on a new connection and reads until the server closes it. */
  private static String raw(int port, String request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      int n;
      while ((n = in.read(buf)) > 0) {
        got.write(buf, 0, n);
      }
      return got.toString(StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void headKeepsTheLengthAndSendsNoBody() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      if (r.method().equals("HEAD")) {
        write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nX-Test: head\r\n\r\n");
        return true;
      }
      return ok(r, out);
    }); RunningProxy sluice = RunningProxy.start("--backend", b.address())) {
      HttpResponse<byte[]> r = Http.CLIENT.send(HttpRequest.newBuilder(sluice.uri("/h"))
          .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, r.statusCode());
      assertEquals("1234", r.headers().firstValue("Content-Length").orElse(null));
      assertEquals("head", r.headers().firstValue("X-Test").orElse(null));
      assertEquals(0, r.body().length);
      assertEquals("HEAD", b.seen.get(0).method());
      // the keep-alive connection is still in step: another request on it works
      assertEquals("ok", new String(Http.get(sluice.uri("/h2")).body(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void noContentAndNotModifiedCarryNoBody() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      if (r.target().equals("/204")) {
        write(out, "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n");
      } else {
        write(out, "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n");
      }
      return true;
    }); RunningProxy sluice = RunningProxy.start("--backend", b.address())) {
      HttpResponse<byte[]> nc = Http.get(sluice.uri("/204"));
      assertEquals(204, nc.statusCode());
      assertEquals("1", nc.headers().firstValue("X-A").orElse(null));
      HttpResponse<byte[]> nm = Http.get(sluice.uri("/304"));
      assertEquals(304, nm.statusCode());
      assertEquals("\"v1\"", nm.headers().firstValue("ETag").orElse(null));
      assertEquals(0, nm.body().length);
      assertEquals(2, b.seen.size(), "both requests went over one kept-alive client connection in step");
    }
  }

  @Test
  void anHttp10ClientGetsAChunkedResponseEndedByTheClose() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
      return true;
    }); RunningProxy sluice = RunningProxy.start("--backend", b.address())) {
      // raw() reads until the server closes: the close is what ends this body.
      String got = raw(sluice.port(), "GET /c HTTP/1.0\r\nHost: x\r\n\r\n");
      assertTrue(got.startsWith("HTTP/1.0 200"), got);
      assertFalse(got.toLowerCase().contains("content-length"), got);
      assertFalse(got.toLowerCase().contains("transfer-encoding"), got);
      assertTrue(got.toLowerCase().contains("\r\nconnection: close\r\n"), got);
      assertTrue(got.endsWith("\r\n\r\nhello world"), got);
    }
  }

  @Test
  void hopByHopResponseHeadersStayBehind() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      write(out, "HTTP/1.1 200 OK\r\nConnection: close, X-Private\r\nX-Private: secret\r\nKeep-Alive: timeout=5\r\n"
          + "X-Public: yes\r\nContent-Length: 2\r\n\r\nok");
      return false;
    }); RunningProxy sluice = RunningProxy.start("--backend", b.address())) {
      HttpResponse<byte[]> r = Http.get(sluice.uri("/"));
      assertEquals("yes", r.headers().firstValue("X-Public").orElse(null));
      assertTrue(r.headers().firstValue("X-Private").isEmpty());
      assertTrue(r.headers().firstValue("Keep-Alive").isEmpty());
      assertTrue(r.headers().firstValue("Connection").isEmpty(), "the client's connection stays alive");
    }
  }

  @Test
  void aClientStillSendingItsBodyReadsTheAnswerGivenBeforeIt() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), EdgeCasesIT::ok);
         RunningProxy sluice = RunningProxy.start("--backend", b.address(), "--max-body", "1MB");
         Socket s = new Socket("127.0.0.1", sluice.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 8000000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      // The 413 is sent at once; the client goes on sending megabytes Sluice will not read into a buffer. Closed
      // at once, the connection would be reset, and the reset can destroy the 413 before the client reads it.
      byte[] block = new byte[64 * 1024];
      for (int i = 0; i < 64; i++) {
        out.write(block);
      }
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      for (int n; (n = in.read(buf)) > 0; ) {
        got.write(buf, 0, n);
      }
      String answer = got.toString(StandardCharsets.ISO_8859_1);
      assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
    }
  }

  @Test
  void bodiesOverTheLimitGet413() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), EdgeCasesIT::ok);
         RunningProxy sluice = RunningProxy.start("--backend", b.address(), "--max-body", "1MB")) {
      String declared = raw(sluice.port(), "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 200000000\r\n\r\n");
      assertTrue(declared.startsWith("HTTP/1.1 413"), declared);
      assertTrue(declared.contains("larger than the limit"), declared);

      HttpResponse<String> chunked = Http.postChunked(sluice.uri("/up"), Http.random(2_000_000, 1));
      assertEquals(413, chunked.statusCode());
      assertEquals(0, b.seen.size(), "nothing reached the backend");
      assertEquals(2, sluice.sluice().stats().count(RequestOutcome.TOO_LARGE));
    }
  }

  @Test
  void expectContinueIsAnsweredAndTheBodyArrives() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + r.body().length + "\r\n\r\n");
      out.write(r.body());
      return true;
    }); RunningProxy sluice = RunningProxy.start("--backend", b.address())) {
      HttpResponse<String> r = Http.CLIENT.send(HttpRequest.newBuilder(sluice.uri("/e")).expectContinue(true)
          .POST(HttpRequest.BodyPublishers.ofString("payload")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals("payload", r.body());
      assertNull(b.seen.get(0).header("Expect"), "the expectation was met by Sluice, not passed on");
    }
  }

  @Test
  void anAbsoluteFormTargetReachesTheBackendAsAPath() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), EdgeCasesIT::ok);
         RunningProxy sluice = RunningProxy.start("--backend", b.address())) {
      String got = raw(sluice.port(), "GET http://example.com/abs/p?x=1 HTTP/1.1\r\nHost: example.com\r\n"
          + "Connection: close\r\n\r\n");
      assertTrue(got.startsWith("HTTP/1.1 200"), got);
      assertEquals("/abs/p?x=1", b.seen.get(0).target());
      assertEquals("example.com", b.seen.get(0).header("Host"));
    }
  }

  @Test
  void aBackendThatIsDownWhenTheRequestArrivesServesItOnceItIsBack() throws Exception {
    Path socket = dir.resolve("late.sock");
    try (RunningProxy sluice = RunningProxy.start("--backend", "unix:" + socket)) {
      CompletableFuture<HttpResponse<String>> waiting = Http.getAsync(sluice.uri("/late"));
      // Sluice has found the backend down (its connect was refused and it backs off), and the request still waits.
      eventually(() -> {
        QueueSnapshot q = sluice.sluice().dispatcher().snapshot();
        return q.backends().get(0).paused() && q.depth() == 1 ? null : "depth " + q.depth() + ", paused "
            + q.backends().get(0).paused();
      });
      assertFalse(waiting.isDone(), "the request waits rather than failing");
      try (ScriptedBackend b = ScriptedBackend.start(socket, EdgeCasesIT::ok)) {
        HttpResponse<String> r = waiting.get(10, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        assertEquals("ok", r.body());
        assertEquals(0, sluice.sluice().stats().count(RequestOutcome.BACKEND_ERROR));
      }
    }
  }

  @Test
  void aBackendThatFailsAfterReceivingTheRequestGets502ForThatRequestOnly() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      switch (r.target()) {
        case "/drop":
          return false;
        case "/garbage":
          write(out, "SPDY/9 what\r\n\r\n");
          return false;
        case "/half":
          write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
          return false;
        default:
          return ok(r, out);
      }
    }); RunningProxy sluice = RunningProxy.start("--backend", b.address())) {
      HttpResponse<byte[]> dropped = Http.get(sluice.uri("/drop"));
      assertEquals(502, dropped.statusCode());
      assertEquals(502, Http.get(sluice.uri("/garbage")).statusCode());
      assertEquals(200, Http.get(sluice.uri("/fine")).statusCode());
      try {
        HttpResponse<byte[]> half = Http.get(sluice.uri("/half"));
        assertTrue(half.body().length < 100, "a truncated response must not look complete");
      } catch (java.io.IOException expected) {
        // the client saw the connection end before the announced length: that is the signal
      }
      assertEquals(3, sluice.sluice().stats().count(RequestOutcome.BACKEND_ERROR));
      assertEquals(200, Http.get(sluice.uri("/fine")).statusCode());
    }
  }

  @Test
  void aBackendThatDoesNotAnswerInTimeGets504() throws Exception {
    Path config = dir.resolve("sluice.yaml");
    CountDownLatch release = new CountDownLatch(1);
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      release.await(60, TimeUnit.SECONDS);
      return false;
    })) {
      Files.writeString(config, "backends:\n  - address: " + b.address() + "\n    timeout: 500ms\n");
      try (RunningProxy sluice = RunningProxy.start("--config", config.toString())) {
        long start = System.nanoTime();
        HttpResponse<byte[]> r = Http.get(sluice.uri("/slow"));
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertEquals(504, r.statusCode());
        assertTrue(ms >= 450, "answered after " + ms + " ms, before the backend's timeout of 500 ms");
        assertEquals(1, release.getCount(), "answered while the backend still held the request");
        assertEquals(1, sluice.sluice().stats().count(RequestOutcome.BACKEND_TIMEOUT));
      } finally {
        release.countDown();
      }
    }
  }

  @Test
  void keepAliveBackendConnectionsAreReusedAndAStaleOneIsRetried() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      // "/last" answers, then closes without saying so: the next request on this connection would fail.
      return !r.target().equals("/last");
    }); RunningProxy sluice = RunningProxy.start("--backend", b.address(), "--limit", "1")) {
      for (int i = 0; i < 5; i++) {
        assertEquals(200, Http.get(sluice.uri("/k" + i)).statusCode());
      }
      assertEquals(1, b.connections.get(), "five requests over one backend connection");
      assertEquals(200, Http.get(sluice.uri("/last")).statusCode());
      // Whether Sluice has seen the close yet or not, the next request must not fail.
      assertEquals(200, Http.get(sluice.uri("/after")).statusCode(), "a stale connection is not an error");
      assertEquals(0, sluice.sluice().stats().count(RequestOutcome.BACKEND_ERROR));
    }
  }

  @Test
  void largeResponseToASlowClientFreesTheBackendSlotEarly() throws Exception {
    // Larger than what the kernel's socket buffers hold, so Sluice itself must hold most of it.
    byte[] body = Http.random(16 * 1024 * 1024, 9);
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n");
      out.write(body);
      return true;
    }); RunningProxy sluice = RunningProxy.start("--backend", b.address(), "--limit", "1")) {
      try (Socket slow = new Socket()) {
        slow.setReceiveBufferSize(64 * 1024);
        slow.connect(new java.net.InetSocketAddress("127.0.0.1", sluice.port()));
        slow.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        // The client reads nothing; the backend must still be done and its slot free.
        eventually(() -> sluice.sluice().dispatcher().snapshot().backends().get(0).inflight() == 0
            && !b.seen.isEmpty() ? null : "the slot is held while the client is slow");
        HttpResponse<byte[]> other = Http.get(sluice.uri("/big"));
        assertEquals(200, other.statusCode());
        InputStream in = slow.getInputStream();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[65536];
        int bodyStart = -1;
        while (bodyStart < 0 || all.size() - bodyStart < body.length) {
          int n = in.read(buf);
          if (n < 0) {
            break;
          }
          all.write(buf, 0, n);
          if (bodyStart < 0) {
            int end = all.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
            bodyStart = end < 0 ? -1 : end + 4;
          }
        }
        byte[] got = all.toByteArray();
        assertArrayEquals(body, java.util.Arrays.copyOfRange(got, bodyStart, got.length));
      }
    }
  }

  @Test
  void manySequentialRequestsOnOneClientConnectionStayInStep() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      String reply = r.method() + " " + r.target() + " " + r.body().length;
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + reply.length() + "\r\n\r\n" + reply);
      return true;
    }); RunningProxy sluice = RunningProxy.start("--backend", b.address())) {
      for (int i = 0; i < 50; i++) {
        HttpResponse<String> r = i % 2 == 0 ? Http.getAsync(sluice.uri("/g" + i)).get(10, TimeUnit.SECONDS)
            : Http.post(sluice.uri("/p" + i), new byte[i]);
        assertEquals((i % 2 == 0 ? "GET /g" + i + " 0" : "POST /p" + i + " " + i), r.body());
      }
    }
  }
}
