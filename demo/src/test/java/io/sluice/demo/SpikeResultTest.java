package io.sluice.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.sluice.demo.SpikeResult.Failure;
import io.vertx.core.json.JsonObject;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The parts of a spike that need no network: classification, statistics, report text, target syntax. */
class SpikeResultTest {

  @Test
  void classifiesConnectErrorsAsEpollAndNioReportThem() {
    // Texts as Netty 4.2.18 produces them, epoll first, then NIO.
    assertEquals(Failure.CONNECT_EAGAIN, ConnectErrors.classify(new ConnectException(
        "connect(..) failed with error(-11): Resource temporarily unavailable: /run/app.sock")));
    assertEquals(Failure.CONNECT_EAGAIN, ConnectErrors.classify(new IOException("annotated",
        new SocketException("Resource temporarily unavailable"))));
    assertEquals(Failure.CONNECT_REFUSED, ConnectErrors.classify(new ConnectException(
        "connect(..) failed with error(-111): Connection refused: /run/app.sock")));
    assertEquals(Failure.CONNECT_REFUSED, ConnectErrors.classify(new ConnectException("Connection refused")));
    assertEquals(Failure.CONNECT_NO_SOCKET, ConnectErrors.classify(new FileNotFoundException()));
    assertEquals(Failure.CONNECT_NO_SOCKET, ConnectErrors.classify(new SocketException(
        "No such file or directory: /run/app.sock")));
    assertEquals(Failure.TOO_MANY_OPEN_FILES, ConnectErrors.classify(new IOException(
        "newSocketDomain(..) failed with error(-24): Too many open files")));
    assertEquals(Failure.TOO_MANY_OPEN_FILES, ConnectErrors.classify(new IOException("Failed to open a socket.",
        new IOException(new InvocationTargetException(new SocketException("Too many open files"))))));
    assertEquals(Failure.CONNECT_TIMEOUT, ConnectErrors.classify(
        new io.netty.channel.ConnectTimeoutException("connection timed out after 60000 ms: /10.0.0.1:80")));
    assertEquals(Failure.OTHER, ConnectErrors.classify(new IOException("Network is unreachable")));
    assertEquals("java.io.FileNotFoundException", ConnectErrors.describe(new FileNotFoundException()));
  }

  @Test
  void percentilesAreNearestRank() {
    List<Duration> latencies = new ArrayList<>();
    for (int i = 100; i >= 1; i--) {
      latencies.add(Duration.ofMillis(i));
    }
    SpikeResult r = new SpikeResult(100, Map.of(200, 100), Map.of(), Map.of(), latencies, Duration.ofSeconds(2));
    assertEquals(Optional.of(Duration.ofMillis(50)), r.percentile(0.5));
    assertEquals(Optional.of(Duration.ofMillis(99)), r.percentile(0.99));
    assertEquals(Optional.of(Duration.ofMillis(100)), r.percentile(1));
    assertEquals(Duration.ofMillis(1), r.latencies().get(0));
    assertEquals(50.0, r.rate());
    assertThrows(IllegalArgumentException.class, () -> r.percentile(0));

    SpikeResult none = new SpikeResult(2, Map.of(), Map.of(Failure.CONNECT_EAGAIN, 2), Map.of(), List.of(),
        Duration.ofMillis(3));
    assertEquals(Optional.empty(), none.percentile(0.5));
  }

  @Test
  void refusesCountsThatDoNotAddUp() {
    assertThrows(IllegalArgumentException.class,
        () -> new SpikeResult(3, Map.of(200, 1), Map.of(), Map.of(), List.of(Duration.ZERO), Duration.ZERO));
  }

  @Test
  void humanReportHasAHeadlineAndOneLinePerOddity() {
    List<Duration> latencies = new ArrayList<>();
    for (int i = 0; i < 1800; i++) {
      latencies.add(Duration.ofMillis(2900));
    }
    for (int i = 0; i < 150; i++) {
      latencies.add(Duration.ofMillis(5800));
    }
    SpikeResult r = new SpikeResult(2000, Map.of(503, 150, 200, 1800),
        Map.of(Failure.CONNECT_EAGAIN, 40, Failure.OTHER, 10),
        Map.of(Failure.CONNECT_EAGAIN, "connect(..) failed", Failure.OTHER, "Network is unreachable"),
        latencies, Duration.ofMillis(5810));

    assertEquals(String.join("\n",
        "2000 requests, 1800 x 200, 150 x 503, 50 failed in 5.81 s (336 req/s); "
            + "latency p50 2.9 s, p90 2.9 s, p99 5.8 s, max 5.8 s",
        "  150 x 503 Service Unavailable",
        "  40 failed: connect EAGAIN: listen queue full (Resource temporarily unavailable)",
        "  10 failed: other error (first: Network is unreachable)"), SpikeReport.human(r));
  }

  @Test
  void reportsEmfileWithWhatToDo() {
    SpikeResult r = new SpikeResult(600, Map.of(), Map.of(Failure.TOO_MANY_OPEN_FILES, 600), Map.of(), List.of(),
        Duration.ofMillis(40));
    assertEquals("600 requests, 600 failed in 0.04 s (0 req/s); no responses\n"
        + "  600 failed: too many open files (EMFILE): 600 connections need as many file descriptors; "
        + "raise the open-files limit (ulimit -n) or lower --connections", SpikeReport.human(r));
  }

  @Test
  void jsonReportHasStableKeys() {
    SpikeResult r = new SpikeResult(2, Map.of(200, 1), Map.of(Failure.TIMEOUT, 1), Map.of(),
        List.of(Duration.ofNanos(1_234_567)), Duration.ofMillis(500));
    JsonObject json = new JsonObject(SpikeReport.json(Spike.Target.parse("unix:/run/app.sock"), r, true));
    assertEquals("unix:/run/app.sock", json.getString("target"));
    assertEquals(1, json.getJsonObject("failures").getInteger("timeout"));
    assertEquals(0, json.getJsonObject("failures").getInteger("other"));
    assertEquals(1.235, json.getJsonObject("latencyMs").getDouble("p50"));
    assertEquals(2.0, json.getDouble("ratePerSecond"));
  }

  @Test
  void formatsDurationsShortly() {
    assertEquals("2.9 s", SpikeReport.duration(Duration.ofMillis(2912)));
    assertEquals("250 ms", SpikeReport.duration(Duration.ofMillis(250)));
    assertEquals("4.2 ms", SpikeReport.duration(Duration.ofNanos(4_200_000)));
  }

  @Test
  void parsesTargets() {
    Spike.Target t = Spike.Target.parse("http://app.local:8080/a/b?c=d#frag");
    assertEquals(new Address.Tcp("app.local", 8080), t.address());
    assertEquals("app.local:8080", t.host());
    assertEquals("/a/b?c=d", t.path());

    Spike.Target bare = Spike.Target.parse("http://127.0.0.1");
    assertEquals(new Address.Tcp("127.0.0.1", 80), bare.address());
    assertEquals("/", bare.path());
    assertEquals("/?q", Spike.Target.parse("http://h:1?q").path());
    assertEquals(new Address.Tcp("::1", 9), Spike.Target.parse("http://[::1]:9/").address());
    assertEquals(new Address.Tcp("::1", 80), Spike.Target.parse("http://[::1]/").address());

    Spike.Target unix = Spike.Target.parse("unix:/run/app.sock");
    assertEquals(new Address.Unix(Path.of("/run/app.sock")), unix.address());
    assertEquals("localhost", unix.host());
    assertEquals("/", unix.path());
    assertEquals("/health", unix.withPath("/health").path());

    assertThrows(IllegalArgumentException.class, () -> unix.withPath("/a b"));
    assertThrows(IllegalArgumentException.class, () -> Spike.Target.parse("http://user@h:1/"));
    assertThrows(IllegalArgumentException.class, () -> Spike.Target.parse("http://h:99999/"));
    assertTrue(Spike.Target.parse("http://h:1/").toString().startsWith("http://h:1/"));
  }

  @Test
  void parsesStatusLines() {
    assertEquals(200, OneShot.parseStatus("HTTP/1.1 200 OK"));
    assertEquals(502, OneShot.parseStatus("HTTP/1.0 502"));
    assertEquals(-1, OneShot.parseStatus("HTTP/2 200"));
    assertEquals(-1, OneShot.parseStatus("HTTP/1.1 20 OK"));
    assertEquals(-1, OneShot.parseStatus("HTTP/1.1 2000 OK"));
    assertEquals(12, OneShot.parseContentLength("HTTP/1.1 200 OK\r\ncontent-length: 12"));
    assertEquals(-1, OneShot.parseContentLength("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nTransfer-Encoding: chunked"));
    assertEquals(-1, OneShot.parseContentLength("HTTP/1.1 200 OK\r\nServer: x"));
  }
}
