package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.sluice.server.RequestOutcome;
import io.vertx.core.Vertx;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sluice in front of real gunicorn sync workers on a Unix socket with a small backlog. */
class GunicornIT {

  private static final int SPIKE = 3000;

  @TempDir
  static Path dir;
  private static WsgiServer gunicorn;
  private static Vertx clients;

  @BeforeAll
  static void startBackend() throws Exception {
    gunicorn = WsgiServer.gunicorn(dir, 2, 64, "--access-logfile", dir.resolve("access.log").toString());
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stopBackend() throws Exception {
    if (clients != null) {
      clients.close().await();
    }
    if (gunicorn != null) {
      gunicorn.close();
    }
  }

  private static Burst.Result spike(Address target, String path, int connections) throws Exception {
    return Burst.fire(clients, target, path, connections, Duration.ofSeconds(120)).await(180, TimeUnit.SECONDS);
  }

  @Test
  void aSpikeThatTheBackendAloneRefusesIsServedWholeThroughSluice() throws Exception {
    Burst.Result direct = spike(new Address.Unix(gunicorn.socket()), "/?ms=5", SPIKE);
    assertTrue(direct.failed() > 0, "straight at gunicorn (backlog 64) some connects must fail: " + direct);

    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address())) {
      Burst.Result through = spike(new Address.Tcp("127.0.0.1", sluice.port()), "/?ms=5", SPIKE);
      assertEquals(SPIKE, through.count(200), "through Sluice every request is answered 200: " + through);
      assertEquals(0, through.failed());
      // The count is taken once the last byte is out, which may be just after the client read it.
      eventually(() -> sluice.sluice().stats().count(RequestOutcome.SERVED) == SPIKE ? null
          : sluice.sluice().stats().count(RequestOutcome.SERVED) + " served");
    }
  }

  @Test
  void aFullQueueAnswers503WithRetryAfterAndNoConnectionError() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address(), "--limit", "1",
        "--queue-max", "5")) {
      List<CompletableFuture<HttpResponse<String>>> admitted = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        admitted.add(Http.getAsync(sluice.uri("/?ms=400")));
      }
      awaitDepth(sluice, 5);
      HttpResponse<byte[]> refused = Http.get(sluice.uri("/"));
      assertEquals(503, refused.statusCode());
      int retryAfter = Integer.parseInt(refused.headers().firstValue("Retry-After").orElseThrow());
      assertTrue(retryAfter >= 1, "Retry-After " + retryAfter);
      assertTrue(new String(refused.body(), StandardCharsets.UTF_8).contains("queue is full"));
      for (CompletableFuture<HttpResponse<String>> f : admitted) {
        assertEquals(200, f.get(30, TimeUnit.SECONDS).statusCode());
      }
      assertEquals(1, sluice.sluice().stats().count(RequestOutcome.QUEUE_FULL));
    }
  }

  @Test
  void aRequestWaitingPastTheQueueTimeoutGets503() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address(), "--limit", "1",
        "--queue-timeout", "300ms")) {
      CompletableFuture<HttpResponse<String>> slow = Http.getAsync(sluice.uri("/?ms=3000"));
      awaitInflight(sluice, 1);
      long start = System.nanoTime();
      HttpResponse<byte[]> waited = Http.get(sluice.uri("/"));
      long tookMs = (System.nanoTime() - start) / 1_000_000;
      assertEquals(503, waited.statusCode());
      assertTrue(waited.headers().firstValue("Retry-After").isPresent());
      assertTrue(tookMs >= 280, "answered after " + tookMs + " ms, before the queue timeout of 300 ms");
      assertFalse(slow.isDone(), "answered by the queue timeout while the request ahead still held the slot");
      assertEquals(200, slow.get(30, TimeUnit.SECONDS).statusCode());
      assertEquals(1, sluice.sluice().stats().count(RequestOutcome.QUEUE_TIMEOUT));
    }
  }

  @Test
  void aClientThatLeavesTheQueueIsNeverSentToTheBackend() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address(), "--limit", "1")) {
      CompletableFuture<HttpResponse<String>> slow = Http.getAsync(sluice.uri("/?ms=800"));
      awaitInflight(sluice, 1);
      try (Socket leaver = new Socket("127.0.0.1", sluice.port())) {
        leaver.getOutputStream().write("GET /?left=yes HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        awaitDepth(sluice, 1);
      }
      awaitDepth(sluice, 0);
      assertEquals(200, slow.get(30, TimeUnit.SECONDS).statusCode());
      assertEquals(200, Http.get(sluice.uri("/")).statusCode());
      assertEquals(1, sluice.sluice().stats().count(RequestOutcome.CLIENT_GONE));
      String log = Files.readString(dir.resolve("access.log"));
      assertTrue(!log.contains("left=yes"), "the backend saw the request of a client that had left:\n" + log);
    }
  }

  @Test
  void largeAndChunkedUploadsArriveIntact() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address())) {
      byte[] five = Http.random(5 * 1024 * 1024, 1);
      HttpResponse<String> r = Http.post(sluice.uri("/echo"), five);
      assertEquals(200, r.statusCode());
      assertTrue(r.body().contains("\"sha256\": \"" + Http.sha256(five) + "\""), r.body());

      byte[] chunked = Http.random(3 * 1024 * 1024 + 7, 2);
      HttpResponse<String> c = Http.postChunked(sluice.uri("/echo"), chunked);
      assertEquals(200, c.statusCode());
      assertTrue(c.body().contains("\"sha256\": \"" + Http.sha256(chunked) + "\""), c.body());
      assertTrue(c.body().contains("\"contentLength\": \"" + chunked.length + "\""),
          "a chunked upload reaches the backend with a Content-Length: " + c.body());
    }
  }

  @Test
  void largeAndStreamedResponsesArriveWhole() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address())) {
      HttpResponse<byte[]> big = Http.get(sluice.uri("/big?n=" + 8 * 1024 * 1024));
      assertEquals(200, big.statusCode());
      assertArrayEquals(Http.pattern(8 * 1024 * 1024), big.body());

      HttpResponse<byte[]> streamed = Http.get(sluice.uri("/stream?chunks=20&size=10000&ms=20"));
      assertEquals(200, streamed.statusCode());
      assertArrayEquals(Http.pattern(200_000), streamed.body());
    }
  }

  @Test
  void clientsTricklingUploadsDoNotDelayOrdinaryRequests() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address())) {
      List<Socket> tricklers = new ArrayList<>();
      try {
        for (int i = 0; i < 40; i++) {
          Socket s = new Socket("127.0.0.1", sluice.port());
          s.getOutputStream().write(("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
          tricklers.add(s);
        }
        Thread trickle = new Thread(() -> {
          try {
            while (!Thread.currentThread().isInterrupted()) {
              for (Socket s : tricklers) {
                OutputStream o = s.getOutputStream();
                o.write('x');
                o.flush();
              }
              Thread.sleep(200);
            }
          } catch (Exception ignored) {
            // the test is over
          }
        });
        trickle.start();
        eventually(() -> sluice.sluice().stats().received() >= tricklers.size() ? null
            : sluice.sluice().stats().received() + " of the trickling uploads arrived");
        Burst.Result ordinary = spike(new Address.Tcp("127.0.0.1", sluice.port()), "/", 100);
        trickle.interrupt();
        assertEquals(100, ordinary.count(200), ordinary.toString());
        // A trickling upload that held a gunicorn worker would hold it for 200 s (1000 bytes, 5 a second).
        Duration median = ordinary.percentile(0.5).orElseThrow();
        assertTrue(median.toMillis() < 3000, "median " + median.toMillis() + " ms");
      } finally {
        for (Socket s : tricklers) {
          s.close();
        }
      }
    }
  }

  private static void awaitDepth(RunningProxy sluice, int depth) throws Exception {
    eventually(() -> sluice.sluice().dispatcher().depth() == depth ? null
        : "queue depth " + sluice.sluice().dispatcher().depth() + ", expected " + depth);
  }

  private static void awaitInflight(RunningProxy sluice, int inflight) throws Exception {
    eventually(() -> {
      int now = sluice.sluice().dispatcher().snapshot().backends().get(0).inflight();
      return now == inflight ? null : "in flight " + now + ", expected " + inflight;
    });
  }
}
