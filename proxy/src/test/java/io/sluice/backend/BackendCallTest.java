package io.sluice.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.backend.http.HttpProtocol;
import io.sluice.backend.uwsgi.UwsgiProtocol;
import io.sluice.config.Address;
import io.sluice.config.BackendConfig;
import io.sluice.config.LimitSetting;
import io.sluice.config.Protocol;
import io.sluice.limit.Outcome;
import io.sluice.metrics.Metrics;
import io.sluice.queue.Dispatcher;
import io.sluice.queue.FifoLine;
import io.sluice.testing.FakeTime;
import io.sluice.testing.RecordingClient;
import io.sluice.testing.RecordingLimit;
import io.sluice.testing.ScriptedConnection;
import io.sluice.testing.ScriptedConnector;
import io.sluice.testing.TestLoop;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The backend side of a request on the fake clock, against scripted backends: no sockets, no sleeps. */
class BackendCallTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long BACKEND_TIMEOUT = 30 * SECOND;

  private final FakeTime time = new FakeTime();
  private final TestLoop loop = new TestLoop();
  private final List<ScriptedConnector> connectors = new ArrayList<>();
  private final List<RecordingLimit> limits = new ArrayList<>();
  private Upstreams upstreams;

  /** Backends speaking these protocols, each with a fixed limit of {@code limit}. */
  private void backends(int limit, BackendProtocol... protocols) {
    List<Upstream> all = new ArrayList<>();
    for (BackendProtocol p : protocols) {
      ScriptedConnector connector = new ScriptedConnector(time, BACKEND_TIMEOUT);
      RecordingLimit l = new RecordingLimit(limit);
      connectors.add(connector);
      limits.add(l);
      BackendConfig config = BackendConfig.of("b" + all.size(), new Address.Unix(Path.of("/run/b.sock")),
          Protocol.HTTP, LimitSetting.of(limit));
      all.add(new Upstream(all.size(), config, p, connector, listener -> l, time));
    }
    Dispatcher d = new Dispatcher(all.stream().map(Upstream::lane).toList(), new FifoLine(2, 10 * SECOND), time,
        time);
    upstreams = new Upstreams(all, d, Metrics.noop(), time);
  }

  private void httpBackends(int limit, int count) {
    BackendProtocol[] p = new BackendProtocol[count];
    java.util.Arrays.fill(p, new HttpProtocol());
    backends(limit, p);
  }

  private static RequestHead request(String method, String... headers) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap().add("Host", "example.com");
    for (int i = 0; i < headers.length; i += 2) {
      h.add(headers[i], headers[i + 1]);
    }
    return new RequestHead(method, "/x", "http", h, -1, new RequestHead.Peer("10.0.0.1", 5000, "10.0.0.2", 8080));
  }

  private BackendCall start(RecordingClient client, String method) {
    BackendCall call = new BackendCall(upstreams, request(method), null, client, loop);
    call.start();
    return call;
  }

  private int inflight(int backend) {
    return upstreams.dispatcher().snapshot().backends().get(backend).inflight();
  }

  @Test
  void aResponseStreamsToItsClientAndTheSlotIsGivenBackOnceWithSuccess() {
    httpBackends(1, 1);
    RecordingClient client = new RecordingClient();
    start(client, "GET");
    ScriptedConnection c = connectors.get(0).last();
    assertEquals("GET /x HTTP/1.1", c.sentHead.toString().lines().findFirst().orElseThrow());
    assertEquals(1, inflight(0));

    c.head(200, "Content-Length", "2").body("ok").readComplete().end();

    assertEquals(List.of("head 200", "body ok", "readComplete", "end"), client.events);
    assertEquals(List.of(Outcome.SUCCESS), limits.get(0).outcomes);
    assertEquals(0, inflight(0));
    assertFalse(c.closed);
    assertEquals(1, connectors.get(0).idleCount(), "a kept-alive connection is kept for the next request");
  }

  @Test
  void aConnectionTheBackendDoesNotKeepIsClosedAtTheEnd() {
    httpBackends(1, 1);
    RecordingClient client = new RecordingClient();
    connectors.get(0).newConnection();
    start(client, "GET");
    ScriptedConnection c = connectors.get(0).last();
    c.keepAlive = false;
    c.head(200, "Content-Length", "0").end();
    assertTrue(c.closed);
    assertEquals(0, connectors.get(0).idleCount());
  }

  @Test
  void aRefusedConnectGoesBackToTheFrontOfTheQueueAndMayGoToAnotherBackend() {
    httpBackends(1, 2);
    connectors.get(0).refuseBusy();
    RecordingClient client = new RecordingClient();
    start(client, "GET");

    assertEquals(List.of(Outcome.OVERLOAD), limits.get(0).outcomes, "EAGAIN tells the limit of an overload");
    assertTrue(upstreams.dispatcher().snapshot().backends().get(0).paused());
    assertEquals(1, connectors.get(1).connects, "granted again at once, to the backend that is not paused");
    connectors.get(1).last().head(204).end();
    assertEquals(List.of("head 204", "end"), client.events, "the client never saw the refusal");
  }

  @Test
  void aBackendThatIsDownIsRetriedAfterItsBackoffWithoutTeachingTheLimit() {
    httpBackends(1, 1);
    connectors.get(0).refuseDown();
    RecordingClient client = new RecordingClient();
    start(client, "GET");
    assertEquals(List.of(Outcome.IGNORED), limits.get(0).outcomes);
    assertEquals(1, upstreams.dispatcher().depth(), "waiting again, first in line");
    assertEquals(1, connectors.get(0).connects);

    time.advanceMillis(20);
    assertEquals(2, connectors.get(0).connects);
    connectors.get(0).last().head(200, "Content-Length", "0").end();
    assertEquals(List.of("head 200", "end"), client.events);
  }

  @Test
  void theClientLeavingWhileQueuedTakesTheRequestOutAndNothingIsSent() {
    httpBackends(1, 1);
    start(new RecordingClient(), "GET");
    RecordingClient waiting = new RecordingClient();
    BackendCall call = start(waiting, "GET");
    assertEquals(1, upstreams.dispatcher().depth());

    call.cancel();

    assertEquals(List.of("cancelled"), waiting.events);
    assertEquals(0, upstreams.dispatcher().depth());
    assertEquals(1, connectors.get(0).connects);
  }

  @Test
  void aGrantOnItsWayWhenTheClientLeavesIsHandedBack() {
    httpBackends(1, 1);
    loop.offLoop = true;
    RecordingClient client = new RecordingClient();
    BackendCall call = start(client, "GET");
    assertEquals(1, loop.pendingTasks(), "the grant waits to be moved onto the loop");
    call.cancel();

    loop.runTasks();

    assertEquals(List.of("cancelled"), client.events);
    assertEquals(0, connectors.get(0).connects);
    assertEquals(0, inflight(0));
    assertEquals(List.of(Outcome.IGNORED), limits.get(0).outcomes);
  }

  @Test
  void aConnectUnderWayWhenTheClientLeavesIsClosedUnused() {
    httpBackends(1, 1);
    Promise<BackendConnection> connecting = connectors.get(0).holdNext();
    RecordingClient client = new RecordingClient();
    BackendCall call = start(client, "GET");
    call.cancel();
    assertEquals(List.of(), client.events, "it lets go only when the connect is over");

    ScriptedConnection c = connectors.get(0).newConnection();
    connecting.complete(c);

    assertTrue(c.closed);
    assertEquals(null, c.sentHead, "nothing is sent for a client that left");
    assertEquals(List.of("cancelled"), client.events);
    assertEquals(0, inflight(0));
  }

  @Test
  void theClientLeavingWhileTheBackendWorksLetsItAnswerThenAborts() {
    httpBackends(1, 1);
    RecordingClient client = new RecordingClient();
    BackendCall call = start(client, "GET");
    ScriptedConnection c = connectors.get(0).last();
    call.cancel();
    assertFalse(c.closed);
    assertEquals(1, inflight(0), "the backend is still working on it");

    c.head(200, "Content-Length", "10");

    assertTrue(c.closed);
    assertEquals(List.of("cancelled"), client.events);
    assertEquals(List.of(Outcome.IGNORED), limits.get(0).outcomes);
    assertEquals(0, inflight(0));
  }

  @Test
  void theClientLeavingDuringTheResponseAbortsItAtOnce() {
    httpBackends(1, 1);
    RecordingClient client = new RecordingClient();
    BackendCall call = start(client, "GET");
    ScriptedConnection c = connectors.get(0).last();
    c.head(200, "Content-Length", "10").body("part");

    call.cancel();

    assertTrue(c.closed);
    assertFalse(c.attached());
    assertEquals(List.of("head 200", "body part", "cancelled"), client.events);
    assertEquals(List.of(Outcome.IGNORED), limits.get(0).outcomes);
  }

  @Test
  void noResponseWithinTheBackendTimeoutFailsAsATimeout() {
    httpBackends(1, 1);
    RecordingClient client = new RecordingClient();
    start(client, "GET");
    ScriptedConnection c = connectors.get(0).last();

    time.advanceMillis(BACKEND_TIMEOUT / 1_000_000 - 1);
    connectors.get(0).timeouts().sweep();
    assertEquals(List.of(), client.events);
    time.advanceMillis(1);
    connectors.get(0).timeouts().sweep();

    assertEquals(List.of("failed TIMEOUT"), client.events);
    assertEquals(List.of(Outcome.TIMEOUT), limits.get(0).outcomes);
    assertTrue(c.closed);
  }

  @Test
  void aReusedConnectionClosedBeforeAnyByteCarriesAnIdempotentRequestAgainOnANewOne() {
    httpBackends(1, 1);
    start(new RecordingClient(), "GET");
    ScriptedConnection first = connectors.get(0).last();
    first.head(200, "Content-Length", "0").end();

    RecordingClient client = new RecordingClient();
    start(client, "GET");
    assertEquals(1, connectors.get(0).connects, "the idle connection is reused");
    first.closeByBackend(null);

    assertEquals(2, connectors.get(0).connects);
    ScriptedConnection second = connectors.get(0).last();
    assertNotSame(first, second);
    second.head(200, "Content-Length", "0").end();
    assertEquals(List.of("head 200", "end"), client.events);
    assertEquals(List.of(Outcome.SUCCESS, Outcome.SUCCESS), limits.get(0).outcomes, "one permit each, both served");
  }

  private Map<String, Long> retries(int backend) {
    return upstreams.all().get(backend).retries();
  }

  @Test
  void aStaleConnectionRetryIsCounted() {
    httpBackends(1, 1);
    start(new RecordingClient(), "GET");
    connectors.get(0).last().head(200, "Content-Length", "0").end();
    start(new RecordingClient(), "HEAD");
    connectors.get(0).last().closeByBackend(null);
    assertEquals(Map.of("stale_connection", 1L, "reset_before_response", 0L, "closed_before_response", 0L),
        retries(0));
  }

  @Test
  void aNewConnectionResetBeforeAnyByteQueuesAnIdempotentRequestAgainFirstInLine() {
    httpBackends(1, 1);
    RecordingClient client = new RecordingClient();
    start(client, "GET");
    RecordingClient behind = new RecordingClient();
    start(behind, "GET");
    assertEquals(1, upstreams.dispatcher().depth());

    connectors.get(0).last().closeByBackend(new IOException("Connection reset by peer"));

    assertEquals(List.of(), client.events, "the client sees nothing of it");
    assertEquals(List.of(Outcome.IGNORED), limits.get(0).outcomes, "it says nothing about capacity");
    assertEquals(1L, retries(0).get("reset_before_response"));
    assertEquals(2, upstreams.dispatcher().depth(), "queued again");
    assertTrue(upstreams.dispatcher().snapshot().backends().get(0).paused(), "as after a refused connect");

    time.advanceMillis(20);
    assertEquals(2, connectors.get(0).connects, "first in line: served before the request queued behind it");
    connectors.get(0).last().head(200, "Content-Length", "2").body("ok").end();
    assertEquals(List.of("head 200", "body ok", "end"), client.events);
    assertEquals(List.of(), behind.events);
    assertEquals(1, inflight(0), "then the one that was behind it");
    assertEquals(0, upstreams.dispatcher().depth());
  }

  @Test
  void anIdempotentRequestIsQueuedAgainOnlyOnceAndThenFails() {
    httpBackends(1, 1);
    RecordingClient client = new RecordingClient();
    start(client, "PUT");
    connectors.get(0).last().closeByBackend(null);
    assertEquals(1L, retries(0).get("closed_before_response"));
    time.advanceMillis(20);
    connectors.get(0).last().closeByBackend(null);

    assertEquals(List.of("failed CLOSED"), client.events);
    assertEquals(1L, retries(0).get("closed_before_response"));
    assertEquals(2, connectors.get(0).connects);
    assertEquals(0, inflight(0));
  }

  @Test
  void aRequestQueuedAgainMayGoToAnotherBackend() {
    httpBackends(1, 2);
    RecordingClient client = new RecordingClient();
    start(client, "DELETE");
    connectors.get(0).last().closeByBackend(null);

    assertEquals(1, connectors.get(1).connects, "granted again at once, to the backend that is not paused");
    connectors.get(1).last().head(204).end();
    assertEquals(List.of("head 204", "end"), client.events);
  }

  @Test
  void postAndPatchDroppedUnansweredAre502AndNeverSentAgain() {
    for (String method : List.of("POST", "PATCH")) {
      connectors.clear();
      limits.clear();
      httpBackends(1, 1);
      RecordingClient client = new RecordingClient();
      start(client, method);
      connectors.get(0).last().closeByBackend(new IOException("Connection reset by peer"));
      assertEquals(List.of("failed CLOSED"), client.events, method);
      time.advanceMillis(1000);
      assertEquals(1, connectors.get(0).connects, method);
      assertEquals(0L, retries(0).values().stream().mapToLong(Long::longValue).sum(), method);
    }
  }

  @Test
  void aResponseCutShortIsNeverSentAgain() {
    httpBackends(1, 1);
    RecordingClient client = new RecordingClient();
    start(client, "GET");
    connectors.get(0).last().head(200, "Content-Length", "10").body("part");
    connectors.get(0).last().closeByBackend(null);
    assertEquals(List.of("head 200", "body part", "failed CLOSED"), client.events);
    assertEquals(1, connectors.get(0).connects);
  }

  @Test
  void aRequestWhoseClientLeftIsNotQueuedAgain() {
    httpBackends(1, 1);
    RecordingClient client = new RecordingClient();
    BackendCall call = start(client, "GET");
    call.cancel();
    connectors.get(0).last().closeByBackend(null);
    assertEquals(List.of("cancelled"), client.events);
    assertEquals(0, upstreams.dispatcher().depth());
    assertEquals(0, inflight(0));
  }

  @Test
  void connectsAndResponsesMakeTheBackendReadyWithoutAProbe() {
    httpBackends(1, 1);
    start(new RecordingClient(), "GET");
    connectors.get(0).last().head(200, "Content-Length", "0").end();
    assertTrue(upstreams.all().get(0).readiness().ready().result());
    assertEquals(0, connectors.get(0).probes);
  }

  @Test
  void aBackendWhoseConnectsAreRefusedIsNotReady() {
    httpBackends(1, 1);
    connectors.get(0).refuseDown();
    start(new RecordingClient(), "GET");
    assertFalse(upstreams.all().get(0).readiness().ready().result());
    assertEquals(0, connectors.get(0).probes);
  }

  @Test
  void aPostOnAConnectionTheBackendClosedIsNotSentAgain() {
    httpBackends(1, 1);
    start(new RecordingClient(), "GET");
    ScriptedConnection first = connectors.get(0).last();
    first.head(200, "Content-Length", "0").end();

    RecordingClient client = new RecordingClient();
    start(client, "POST");
    first.closeByBackend(null);

    assertEquals(List.of("failed CLOSED"), client.events);
    assertEquals(1, connectors.get(0).connects);
  }

  @Test
  void garbageFromTheBackendIsAProtocolFailure() {
    httpBackends(1, 1);
    RecordingClient client = new RecordingClient();
    start(client, "GET");
    connectors.get(0).last().sendGarbage("not HTTP");
    assertEquals(List.of("failed PROTOCOL"), client.events);
    assertEquals(List.of(Outcome.IGNORED), limits.get(0).outcomes);
  }

  @Test
  void aRequestNoBackendCouldTakeIsRefusedBeforeItWaits() {
    backends(1, new UwsgiProtocol(512, 64));
    RecordingClient client = new RecordingClient();
    BackendCall call = new BackendCall(upstreams, request("GET", "X-Big", "x".repeat(600)), null, client, loop);
    call.start();
    assertEquals(List.of("refused 431"), client.events);
    assertEquals(0, connectors.get(0).connects);
    assertEquals(0, inflight(0));
  }

  @Test
  void aRequestThatCannotBeForwardedSafelyIs400AndClosesTheClient() {
    httpBackends(1, 1);
    RecordingClient client = new RecordingClient();
    new BackendCall(upstreams, request("GET", "X-Bad", "a\r\nInjected: 1"), null, client, loop).start();
    assertEquals(List.of("refused 400 close"), client.events);
  }

  @Test
  void eachBackendGetsTheHeadEncodedTheWayItSpeaks() {
    backends(1, new HttpProtocol(), new UwsgiProtocol(4096, 64));
    start(new RecordingClient(), "GET");
    start(new RecordingClient(), "GET");
    assertEquals('G', (char) connectors.get(0).last().sentHead.getByte(0));
    assertEquals(0, connectors.get(1).last().sentHead.getByte(0), "uwsgi's modifier1");
  }

  @Test
  void backendsThatEncodeAlikeAreEncodedForOnce() {
    backends(1, new UwsgiProtocol(4096, 64), new UwsgiProtocol(4096, 64), new UwsgiProtocol(8192, 64));
    assertEquals(2, upstreams.encodings());
    assertEquals(List.of(0, 0, 1), List.of(upstreams.encodingOf(0), upstreams.encodingOf(1), upstreams.encodingOf(2)));
  }

  @Test
  void theResponseIsReadAtTheClientsPaceWhenAsked() {
    httpBackends(1, 1);
    BackendCall call = start(new RecordingClient(), "GET");
    ScriptedConnection c = connectors.get(0).last();
    c.head(200);
    call.pause();
    assertTrue(c.paused);
    call.resume();
    assertFalse(c.paused);
  }
}
