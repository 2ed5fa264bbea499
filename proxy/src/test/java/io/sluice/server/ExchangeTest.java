package io.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.backend.Upstream;
import io.sluice.backend.Upstreams;
import io.sluice.backend.http.HttpProtocol;
import io.sluice.buffer.BufferBudget;
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
import java.util.ArrayList;
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
  private final BufferBudget budget = new BufferBudget(1 << 20, 0);
  /** Each event loop's sweep of its client connections: run by the test. */
  private final List<Runnable> sweeps = new ArrayList<>();
  private Proxy proxy;

  ExchangeTest() {
    Upstream backend = new Upstream(0, BackendConfig.of("app", new Address.Unix(Path.of("/run/app.sock")),
        Protocol.HTTP, LimitSetting.of(1)), new HttpProtocol(), connector, listener -> limit);
    Dispatcher dispatcher = new Dispatcher(List.of(backend.lane()), new FifoLine(2, 10 * SECOND), time, time);
    upstreams = new Upstreams(List.of(backend), dispatcher, Metrics.noop(), time);
    proxy = proxy(MAX_BODY, 0, budget);
  }

  /** Bodies up to {@code maxBody}, 256 KiB of each in memory; timeouts of 60 s, 2 s for a slot others wait for. */
  private Proxy proxy(long maxBody, long bodyMinRate, BufferBudget buffers) {
    return new Proxy(null, upstreams, new Proxy.Settings(maxBody, 256 * 1024, Path.of("/tmp"), 1 << 20,
        Duration.ofSeconds(60), Duration.ofSeconds(60), bodyMinRate, Duration.ofSeconds(60),
        Duration.ofSeconds(2)), stats, buffers,
        Forwarding.DEFAULTS, time,
        (millis, task) -> sweeps.add(task));
  }

  private Exchange start(FakeClient client) {
    proxy.connected(client.connection);
    Exchange e = new Exchange(proxy, client.request, loop);
    e.start();
    return e;
  }

  /** Moves the clock on, with a sweep of the client connections every second. */
  private void advanceSeconds(int seconds) {
    for (int i = 0; i < seconds; i++) {
      time.advanceMillis(1000);
      sweeps.forEach(Runnable::run);
    }
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
    start(client);
    client.sendBody("he");
    advanceSeconds(59);
    assertEquals(200, client.status, "not yet");
    client.sendBody("l");
    advanceSeconds(59);
    assertEquals(200, client.status, "60 s between two pieces, not for the whole body");

    advanceSeconds(2);

    assertEquals(408, client.status);
    assertTrue(client.connectionClosed);
    assertEquals(1, count(RequestOutcome.REJECTED));
    assertEquals(0, connector.connects);
    assertEquals(0, budget.memoryUsed(), "the body's buffer is freed");
  }

  @Test
  void aBodyThatTricklesBelowTheMinimumRateIs408OnceItHasTakenTheBodyTimeout() {
    proxy = proxy(1 << 20, 1024, budget);
    FakeClient client = new FakeClient();
    client.method = HttpMethod.POST;
    client.requestHeaders.add("Content-Length", "100000");
    start(client);
    // A byte every 30 s: never 60 s of silence, far below 1 KiB/s.
    client.sendBody("x");
    advanceSeconds(30);
    client.sendBody("x");
    advanceSeconds(29);
    assertEquals(200, client.status, "the rate is judged once the body has taken the body timeout");
    advanceSeconds(2);
    assertEquals(408, client.status);
    assertTrue(client.written.get(0).contains("too slowly"), client.written.get(0));
    assertTrue(client.connectionClosed);
    assertEquals(0, connector.connects);
  }

  @Test
  void aBodyAtTheMinimumRateIsTakenWholeHoweverLongItTakes() {
    proxy = proxy(1 << 20, 1024, budget);
    FakeClient client = new FakeClient();
    client.method = HttpMethod.POST;
    client.requestHeaders.add("Content-Length", Integer.toString(120 * 1100));
    start(client);
    for (int i = 0; i < 120; i++) {
      client.sendBody("y".repeat(1100));
      advanceSeconds(1);
    }
    client.endBody();
    assertEquals(1, connector.connects, "two minutes at 1100 bytes a second: forwarded");
    assertEquals(120 * 1100, backend().sentBody.length());
  }

  @Test
  void aBodyWithNoRoomInTheBuffersIs503AndTheConnectionStays() {
    proxy = proxy(1 << 20, 0, new BufferBudget(4096, 0));
    FakeClient client = new FakeClient();
    client.method = HttpMethod.POST;
    client.requestHeaders.add("Content-Length", "5000").add("Expect", "100-continue");
    start(client);
    assertEquals(503, client.status);
    assertEquals("5", client.responseHeaders.get("Retry-After"));
    assertFalse(client.continued, "the client is not asked for a body that has nowhere to go");
    assertFalse(client.connectionClosed);
    assertEquals(1, count(RequestOutcome.BUFFERS_FULL));
    assertEquals(0, connector.connects);
  }

  @Test
  void aBodyThatOutgrowsTheBuffersHalfWayIs503AndItsBytesAreGivenBack() {
    BufferBudget small = new BufferBudget(4096, 0);
    proxy = proxy(1 << 20, 0, small);
    FakeClient client = new FakeClient();
    client.method = HttpMethod.POST;
    client.requestHeaders.add("Transfer-Encoding", "chunked");
    start(client);
    client.sendBody("z".repeat(4000));
    assertEquals(4000, small.memoryUsed());
    client.sendBody("z".repeat(200));
    assertEquals(503, client.status);
    assertEquals(0, small.memoryUsed());
    client.sendBody("z".repeat(200));
    client.endBody();
    assertEquals(0, connector.connects, "the rest is read and dropped");
    assertFalse(client.paused);
    assertEquals(1, count(RequestOutcome.BUFFERS_FULL));
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
  void anHttp10ClientGetsABodyOfUnknownLengthAsItComesAndThenTheConnectionCloses() {
    FakeClient client = new FakeClient();
    client.version = HttpVersion.HTTP_1_0;
    start(client);
    backend().head(200).body("abc").readComplete();
    assertEquals(List.of("write abc"), client.written, "streamed, not buffered whole");
    assertFalse(client.connectionClosed);
    backend().body("de").end();
    assertEquals(List.of("write abc", "end de"), client.written);
    assertEquals(null, client.responseHeaders.get("Content-Length"));
    assertFalse(client.chunked);
    assertEquals("close", client.responseHeaders.get("Connection"));
    assertTrue(client.connectionClosed, "the close is what ends the body");
    assertEquals(1, count(RequestOutcome.SERVED));
  }

  @Test
  void anHttp10ClientWithALengthKeepsItsConnection() {
    FakeClient client = new FakeClient();
    client.version = HttpVersion.HTTP_1_0;
    start(client);
    backend().head(200, "Content-Length", "2").body("ok").end();
    assertEquals("2", client.responseHeaders.get("Content-Length"));
    assertFalse(client.connectionClosed);
  }

  @Test
  void aClientThatTakesNoByteForTheSendTimeoutIsClosedAndItsSpoolFreed() {
    FakeClient client = new FakeClient();
    client.writeQueueFull = true;
    start(client);
    backend().head(200, "Content-Length", "6").body("abc").readComplete();
    backend().body("def").end();
    assertEquals(List.of(Outcome.SUCCESS), limit.outcomes, "the backend is done; the spool holds the response");
    assertEquals(6, budget.memoryUsed());

    advanceSeconds(60);
    assertFalse(client.connectionClosed, "not before the send timeout");
    advanceSeconds(2);
    assertTrue(client.connectionClosed);
    client.leave();

    assertEquals(1, count(RequestOutcome.CLIENT_GONE));
    assertEquals(0, budget.memoryUsed());
  }

  /** A response the spool has no more room for: the backend is paused until the client takes some of it. */
  private FakeClient stuckOnAFullSpool() {
    FakeClient client = new FakeClient();
    client.writeQueueFull = true;
    start(client);
    backend().head(200, "Content-Length", "4000000").body("x".repeat(300 * 1024)).readComplete();
    assertTrue(backend().paused, "no room on disk, memory past its share: the backend waits for the client");
    return client;
  }

  @Test
  void aClientThatReadsNothingGivesUpItsSlotSoonWhenOthersWaitForIt() {
    FakeClient stuck = stuckOnAFullSpool();
    FakeClient next = new FakeClient();
    start(next);
    assertEquals(1, upstreams.dispatcher().depth());

    advanceSeconds(1);
    assertFalse(stuck.connectionClosed, "not before the held-slot timeout");
    advanceSeconds(2);
    assertTrue(stuck.connectionClosed, "2 s without a byte while a request waits for the slot");
    stuck.leave();

    assertEquals(1, count(RequestOutcome.CLIENT_GONE));
    assertEquals(List.of(Outcome.IGNORED), limit.outcomes);
    assertEquals(0, upstreams.dispatcher().depth());
    assertEquals(2, connector.connects, "the slot went to the request that waited");
    backend().head(200, "Content-Length", "2").body("ok").end();
    assertEquals(List.of("end ok"), next.written);
    assertEquals(0, budget.memoryUsed(), "the stuck response's bytes are given back");
  }

  @Test
  void aClientThatReadsNothingKeepsItsSlotForTheSendTimeoutWhenNobodyWaits() {
    FakeClient stuck = stuckOnAFullSpool();
    advanceSeconds(30);
    assertFalse(stuck.connectionClosed, "nobody needs the slot: the send timeout applies");
    start(new FakeClient());
    advanceSeconds(1);
    assertTrue(stuck.connectionClosed, "stalled for 30 s: closed as soon as a request waits for its slot");
  }

  @Test
  void aSlowClientThatKeepsTakingBytesKeepsItsSlotWhileOthersWait() {
    FakeClient slow = stuckOnAFullSpool();
    start(new FakeClient());
    for (int i = 0; i < 5; i++) {
      advanceSeconds(1);
      slow.catchUp();
      slow.writeQueueFull = true;
      backend().body("y".repeat(300 * 1024)).readComplete();
      assertTrue(backend().paused);
    }
    assertFalse(slow.connectionClosed, "a client that takes bytes each second is not stalled");
  }

  @Test
  void theSendTimeoutRunsBetweenTwoWritesNotForTheWholeResponse() {
    FakeClient client = new FakeClient();
    client.writeQueueFull = true;
    start(client);
    backend().head(200).body("a").readComplete();
    backend().body("b");
    for (int i = 0; i < 3; i++) {
      advanceSeconds(40);
      client.catchUp();
      client.writeQueueFull = true;
      backend().body("c").readComplete();
    }
    assertFalse(client.connectionClosed, "120 s in all, but never 60 s without taking a byte");
    advanceSeconds(62);
    assertTrue(client.connectionClosed);
    client.leave();
    assertTrue(backend().closed, "the call is let go at once");
    assertEquals(1, count(RequestOutcome.CLIENT_GONE));
  }

  @Test
  void aClientWaitingForTheBackendIsNotCutByTheSendTimeout() {
    FakeClient client = new FakeClient();
    client.writeQueueFull = true;
    start(client);
    backend().head(200).body("a").readComplete();
    backend().body("b").readComplete();
    client.catchUp();
    assertEquals(List.of("write a", "write b"), client.written);
    client.writeQueueFull = true;
    advanceSeconds(120);
    assertFalse(client.connectionClosed, "nothing waits for the client: the backend is the slow one");
    backend().body("c").end();
    client.catchUp();
    assertEquals(1, count(RequestOutcome.SERVED));
  }

  @Test
  void theRequestBodyIsFreedWhenTheBackendIsDoneNotWhenASlowClientIs() {
    FakeClient client = new FakeClient();
    client.method = HttpMethod.POST;
    client.writeQueueFull = true;
    client.requestHeaders.add("Content-Length", "5");
    start(client);
    client.sendBody("hello");
    client.endBody();
    assertEquals(5, budget.memoryUsed());
    backend().head(200, "Content-Length", "3").body("abc").readComplete();
    backend().end();
    assertEquals(3, budget.memoryUsed(), "the spool's 3 bytes; the body's 5 are given back");
    client.catchUp();
    assertEquals(0, budget.memoryUsed());
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
