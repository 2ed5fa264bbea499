package io.sluice.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.demo.SpikeResult.Failure;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Spikes against real servers: the demo backend on a Unix socket, and Vert.x servers on 127.0.0.1, port 0. */
class SpikeTest {

  private static final Spike.Options SMALL = new Spike.Options(50, Duration.ofSeconds(20));

  @TempDir
  Path dir;

  private Vertx vertx;

  @AfterEach
  void closeVertx() throws Exception {
    if (vertx != null) {
      await(vertx.close());
    }
  }

  /** The errno text differs between epoll and NIO; both must land in the same class. */
  @ParameterizedTest(name = "native transport {0}")
  @ValueSource(booleans = {true, false})
  void aFullUnixBacklogShowsAsEagainConnectFailures(boolean nativeTransport) throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(nativeTransport));
    assertEquals(nativeTransport, vertx.isNativeTransportEnabled());
    DemoBackend backend = DemoBackend.start(dir.resolve("app.sock"), 4, 2, Duration.ofMillis(50));
    SpikeResult r;
    try {
      r = await(Spike.run(vertx, Spike.Target.parse("unix:" + backend.path()), SMALL));
    } finally {
      // Joins the workers, so served() has counted every response the spike received.
      backend.close();
    }

    assertEquals(50, r.requests());
    assertTrue(r.count(Failure.CONNECT_EAGAIN) > 0, r.toString());
    // At least the queue's backlog + 1 connections got in, and each of those was answered.
    assertTrue(r.count(200) >= 5, r.toString());
    assertEquals(Set.of(200), r.statuses().keySet());
    assertEquals(Set.of(Failure.CONNECT_EAGAIN), r.failures().keySet());
    assertEquals(r.count(200), backend.served());
    assertFalse(r.allSucceeded());
  }

  @Test
  void everyRequestIsAnsweredByAnHttpServer() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    HttpServer server = await(vertx.createHttpServer().requestHandler(req -> {
      seen.merge(req.uri() + " host=" + req.authority() + " connection=" + req.getHeader("Connection"), 1, Integer::sum);
      req.response().end("ok\n");
    }).listen(0, "127.0.0.1"));

    Spike.Target target = Spike.Target.parse("http://127.0.0.1:" + server.actualPort() + "/hello?x=1");
    SpikeResult r = await(Spike.run(vertx, target, SMALL));

    assertEquals(50, r.count(200), r.toString());
    assertTrue(r.failures().isEmpty());
    assertTrue(r.allSucceeded());
    assertEquals(50, r.latencies().size());
    assertTrue(r.elapsed().compareTo(r.percentile(1).orElseThrow()) >= 0);
    assertEquals(Map.of("/hello?x=1 host=127.0.0.1:" + server.actualPort() + " connection=close", 50), seen);
  }

  @Test
  void missingAndDeadUnixSocketsAreToldApart() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    Spike.Options few = new Spike.Options(3, Duration.ofSeconds(5));

    SpikeResult missing = await(Spike.run(vertx, Spike.Target.parse("unix:" + dir.resolve("none.sock")), few));
    assertEquals(Map.of(Failure.CONNECT_NO_SOCKET, 3), missing.failures());

    Path dead = dir.resolve("dead.sock");
    try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.bind(UnixDomainSocketAddress.of(dead));
    }
    SpikeResult refused = await(Spike.run(vertx, Spike.Target.parse("unix:" + dead), few));
    assertEquals(Map.of(Failure.CONNECT_REFUSED, 3), refused.failures());
    assertEquals(0, refused.responses());
  }

  @Test
  void brokenResponsesAreClassified() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    Spike.Options few = new Spike.Options(3, Duration.ofSeconds(5));

    assertEquals(Map.of(Failure.CLOSED_BEFORE_STATUS, 3),
        spikeRaw(few, s -> s.handler(b -> s.close())).failures());
    assertEquals(Map.of(Failure.BAD_RESPONSE, 3),
        spikeRaw(few, s -> s.handler(b -> s.end(buffer("SSH-2.0-OpenSSH\r\n\r\n"))))
            .failures());
    assertEquals(Map.of(Failure.INCOMPLETE, 3),
        spikeRaw(few, s -> s.handler(b -> s.end(buffer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"))))
            .failures());

    SpikeResult slow = spikeRaw(new Spike.Options(3, Duration.ofMillis(300)), s -> s.handler(b -> { }));
    assertEquals(Map.of(Failure.TIMEOUT, 3), slow.failures());
  }

  @Test
  void interimAndCloseDelimitedResponsesCount() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    Spike.Options few = new Spike.Options(3, Duration.ofSeconds(5));

    SpikeResult closeDelimited = spikeRaw(few, s -> s.handler(b -> s.end(buffer("HTTP/1.0 503 Busy\r\n\r\nbusy"))));
    assertEquals(Map.of(503, 3), closeDelimited.statuses());
    assertFalse(closeDelimited.allSucceeded());

    SpikeResult interim = spikeRaw(few, s -> s.handler(b -> s.end(buffer(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"))));
    assertEquals(Map.of(204, 3), interim.statuses());
    assertTrue(interim.allSucceeded());
  }

  /** Spikes a TCP server whose connections {@code handler} drives byte by byte. */
  private SpikeResult spikeRaw(Spike.Options options, Handler<NetSocket> handler) throws Exception {
    NetServer server = await(vertx.createNetServer().connectHandler(handler).listen(0, "127.0.0.1"));
    try {
      return await(Spike.run(vertx, Spike.Target.parse("http://127.0.0.1:" + server.actualPort() + "/"), options));
    } finally {
      await(server.close());
    }
  }

  private static Buffer buffer(String s) {
    return Buffer.buffer(s);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
