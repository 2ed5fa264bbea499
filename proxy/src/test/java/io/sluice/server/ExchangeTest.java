package io.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.backend.Upstream;
import io.sluice.backend.Upstreams;
import io.sluice.backend.http.HttpProtocol;
import io.sluice.config.Address;
import io.sluice.config.BackendConfig;
import io.sluice.config.LimitSetting;
import io.sluice.config.Protocol;
import io.sluice.limit.Outcome;
import io.sluice.metrics.Metrics;
import io.sluice.queue.Dispatcher;
import io.sluice.queue.FifoLine;
import io.sluice.testing.FakeTime;
import io.sluice.testing.RecordingLimit;
import io.sluice.testing.ScriptedConnection;
import io.sluice.testing.ScriptedConnector;
import io.sluice.testing.TestLoop;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The client side of a request on the fake clock, against a scripted backend: no sockets, no sleeps. */
class ExchangeTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long MAX_BODY = 16;

  private final FakeTime time = new FakeTime();
  private final TestLoop loop = new TestLoop();
  private final ScriptedConnector connector = new ScriptedConnector(time, 30 * SECOND);
  private final RecordingLimit limit = new RecordingLimit(1);
  private final Upstreams upstreams;
  private final Stats stats = new Stats();
  private final Proxy proxy;

  ExchangeTest() {
    Upstream backend = new Upstream(0, BackendConfig.of("app", new Address.Unix(Path.of("/run/app.sock")),
        Protocol.HTTP, LimitSetting.of(1)), new HttpProtocol(), connector, listener -> limit);
    Dispatcher dispatcher = new Dispatcher(List.of(backend.lane()), new FifoLine(2, 10 * SECOND), time, time);
    upstreams = new Upstreams(List.of(backend), dispatcher, Metrics.noop(), time);
    proxy = new Proxy(null, upstreams, new Proxy.Settings(MAX_BODY, 4096, Path.of("/tmp"), 1 << 20,
        Duration.ofSeconds(60), Duration.ofSeconds(60)), stats);
  }

  private Exchange start(FakeClient client) {
    Exchange e = new Exchange(proxy, client.request, loop);
    e.start();
    return e;
  }

  private ScriptedConnection backend() {
    return connector.last();
  }

  private long count(RequestOutcome outcome) {
    return stats.count(outcome);
  }

  @Test
  void aWholeSmallResponseGoesOutInOneWrite() {
    FakeClient client = new FakeClient();
    start(client);
    backend().head(200, "Content-Length", "2", "X-App", "1").body("ok").end();

    assertEquals(List.of("end ok"), client.written, "head, body and end in one write");
    assertEquals(200, client.status);
    assertEquals("2", client.responseHeaders.get("Content-Length"));
    assertEquals("1", client.responseHeaders.get("X-App"));
    assertEquals(1, count(RequestOutcome.SERVED));
    assertEquals(List.of(Outcome.SUCCESS), limit.outcomes);
  }

  @Test
  void aResponseThatComesInSeveralReadsIsWrittenAsItComes() {
    FakeClient client = new FakeClient();
    start(client);
    backend().head(200, "Content-Length", "4").body("ab").readComplete();
    assertEquals(List.of("write ab"), client.written);
    backend().body("cd").end();
    assertEquals(List.of("write ab", "end cd"), client.written);
  }

  @Test
  void hopByHopHeadersOfTheResponseStayBehind() {
    FakeClient client = new FakeClient();
    start(client);
    backend().head(200, "Content-Length", "0", "Connection", "X-Private", "X-Private", "1", "Keep-Alive",
        "timeout=5", "X-Public", "2").end();
    assertEquals(List.of("content-length", "x-public"), client.responseHeaders.names().stream()
        .map(n -> n.toLowerCase(java.util.Locale.ROOT)).sorted().toList());
  }

  @Test
  void aBodyIsReceivedWholeBeforeTheRequestAsksForASlot() {
    FakeClient client = new FakeClient();
    client.method = HttpMethod.POST;
    client.requestHeaders.add("Content-Length", "5").add("Expect", "100-continue");
    start(client);
    assertTrue(client.continued);
    client.sendBody("he");
    client.sendBody("llo");
    assertEquals(0, connector.connects, "no backend slot while the body arrives");

    client.endBody();

    assertEquals(1, connector.connects);
    assertEquals(5, backend().sentBody.length());
    assertTrue(backend().sentHead.toString().contains("Content-Length: 5\r\n"));
  }

  @Test
  void aDeclaredBodyOverTheLimitIs413AndTheConnectionCloses() {
    FakeClient client = new FakeClient();
    client.method = HttpMethod.POST;
    client.requestHeaders.add("Content-Length", Long.toString(MAX_BODY + 1));
    start(client);
    assertEquals(413, client.status);
    assertEquals("close", client.responseHeaders.get("Connection"));
    assertTrue(client.connectionClosed);
    assertEquals(1, count(RequestOutcome.TOO_LARGE));
    assertEquals(0, connector.connects);
  }

  @Test
  void aChunkedBodyThatGrowsOverTheLimitIs413() {
    FakeClient client = new FakeClient();
    client.method = HttpMethod.POST;
    client.requestHeaders.add("Transfer-Encoding", "chunked");
    start(client);
    client.sendBody("x".repeat((int) MAX_BODY));
    client.sendBody("y");
    assertEquals(413, client.status);
    client.endBody();
    assertEquals(0, connector.connects);
    assertEquals(1, count(RequestOutcome.TOO_LARGE));
  }

  @Test
  void anInvalidContentLengthIs400() {
    FakeClient client = new FakeClient();
    client.requestHeaders.add("Content-Length", "-1");
    start(client);
    assertEquals(400, client.status);
    assertEquals(1, count(RequestOutcome.REJECTED));
  }

  @Test
  void aBodyThatStopsArrivingIs408() {
    FakeClient client = new FakeClient();
    client.method = HttpMethod.PUT;
    client.requestHeaders.add("Content-Length", "5");
    Exchange e = start(client);
    client.sendBody("he");
    assertTrue(e.bodyIdleFor(System.nanoTime() + SECOND) > 0);

    e.bodyTimedOut();

    assertEquals(408, client.status);
    assertEquals(0, e.bodyIdleFor(System.nanoTime() + SECOND), "no longer reading");
    assertEquals(0, connector.connects);
  }

  @Test
  void aFullQueueAnswers503WithRetryAfter() {
    for (int i = 0; i < 3; i++) {
      start(new FakeClient());
    }
    FakeClient late = new FakeClient();
    start(late);
    assertEquals(503, late.status);
    assertTrue(Integer.parseInt(late.responseHeaders.get("Retry-After")) >= 1);
    assertEquals(1, count(RequestOutcome.QUEUE_FULL));
    assertFalse(late.connectionClosed, "a 503 keeps the connection");
  }

  @Test
  void aClientThatLeavesWhileQueuedIsTakenOutAndNothingIsSent() {
    start(new FakeClient());
    FakeClient waiting = new FakeClient();
    start(waiting);
    assertEquals(1, upstreams.dispatcher().depth());

    waiting.leave();

    assertEquals(0, upstreams.dispatcher().depth());
    assertEquals(1, count(RequestOutcome.CLIENT_GONE));
    backend().head(200, "Content-Length", "0").end();
    assertEquals(1, connector.connects, "the slot freed goes to nobody");
  }

  @Test
  void aClientThatLeavesWhileItsResponseStreamsFreesTheBackendAtOnce() {
    FakeClient client = new FakeClient();
    start(client);
    backend().head(200, "Content-Length", "10").body("abc").readComplete();
    client.leave();
    assertTrue(backend().closed);
    assertEquals(List.of(Outcome.IGNORED), limit.outcomes);
    assertEquals(1, count(RequestOutcome.CLIENT_GONE));
  }

  @Test
  void aSlowClientIsWrittenToFromTheSpoolAfterTheBackendIsFree() {
    FakeClient client = new FakeClient();
    client.writeQueueFull = true;
    start(client);
    backend().head(200, "Content-Length", "6").body("abc").readComplete();
    backend().body("def").end();

    assertEquals(List.of(Outcome.SUCCESS), limit.outcomes, "the backend's slot is free...");
    assertEquals(List.of(), client.written, "...while the client has read nothing yet");
    assertEquals(0, count(RequestOutcome.SERVED));

    client.catchUp();

    assertEquals(List.of("write abc", "write def", "end"), client.written);
    assertEquals(1, count(RequestOutcome.SERVED));
  }

  @Test
  void aBackendThatFailsBeforeItsHeadIs502() {
    FakeClient client = new FakeClient();
    start(client);
    backend().closeByBackend(null);
    // A GET the backend dropped unanswered is queued again once, after the backend's short backoff.
    time.advanceMillis(20);
    assertEquals(2, connector.connects);
    backend().closeByBackend(null);
    assertEquals(502, client.status);
    assertTrue(client.written.get(0).startsWith("end 502 Bad Gateway: the backend failed: "), client.written.get(0));
    assertEquals(1, count(RequestOutcome.BACKEND_ERROR));
  }

  @Test
  void aBackendThatFailsAfterItsHeadCutsTheClientOff() {
    FakeClient client = new FakeClient();
    start(client);
    backend().head(200, "Content-Length", "10").body("abc").readComplete();
    backend().closeByBackend(null);
    assertTrue(client.connectionClosed, "the client must not take a truncated response for a whole one");
    assertEquals(List.of("write abc"), client.written);
    assertEquals(1, count(RequestOutcome.BACKEND_ERROR));
  }

  @Test
  void anHttp10ClientGetsABodyOfUnknownLengthWithItsLength() {
    FakeClient client = new FakeClient();
    client.version = HttpVersion.HTTP_1_0;
    start(client);
    backend().head(200).body("abc").body("de").end();
    assertEquals("5", client.responseHeaders.get("Content-Length"));
    assertFalse(client.chunked);
    assertEquals(List.of("write abc", "write de", "end"), client.written);
  }

  @Test
  void anHttp11ClientGetsABodyOfUnknownLengthInChunks() {
    FakeClient client = new FakeClient();
    start(client);
    backend().head(200).body("abc").end();
    assertTrue(client.chunked);
    assertEquals(List.of("end abc"), client.written);
  }

  @Test
  void theLengthOfAHeadResponseIsPassedOnUnchanged() {
    FakeClient client = new FakeClient();
    client.method = HttpMethod.HEAD;
    start(client);
    backend().head(200, "Content-Length", "1000").end();
    assertEquals("1000", client.responseHeaders.get("Content-Length"));
    assertEquals(List.of("end"), client.written);
  }
}
