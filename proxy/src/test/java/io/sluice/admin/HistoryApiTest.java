package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.sluice.config.AdminConfig;
import io.sluice.history.History;
import io.sluice.history.HistoryRecorder;
import io.sluice.history.WaitWindow;
import io.sluice.metrics.PrometheusMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code GET /api/v1/history}: its document, its {@code since}, its access rule, over real HTTP. */
class HistoryApiTest {

  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private static final long T0 = 1_764_540_000_000L;
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  private Vertx vertx;
  private PrometheusMetrics metrics;
  private FakeControl control;
  private History history;
  private HistoryRecorder recorder;
  private AdminServer server;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    metrics = new PrometheusMetrics();
    control = new FakeControl(FakeControl.defaults());
    metrics.bind(control::status);
    history = History.shapedLike(control.status());
    recorder = new HistoryRecorder(history, new WaitWindow());
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close().await();
    }
    vertx.close().await();
    metrics.close();
  }

  private void start(Optional<String> token) throws Exception {
    server = AdminServer.start(vertx, new AdminConfig(Optional.of(new Address.Tcp("127.0.0.1", 0)), token,
        Optional.empty()), control, metrics, history);
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + ((Address.Tcp) server.address()).port() + path);
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void seconds(int n) {
    for (int i = 1; i <= n; i++) {
      control.depth = 10 * i;
      recorder.sample(control.status(), T0 + 1000L * i, SECOND * i);
    }
  }

  @Test
  void theHistoryIsColumnsOfTheSameLength() throws Exception {
    seconds(3);
    start(Optional.empty());
    HttpResponse<String> r = get("/api/v1/history");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    assertEquals("no-store", r.headers().firstValue("Cache-Control").orElse(""));
    JsonObject h = new JsonObject(r.body());
    assertEquals(1000, h.getInteger("step"));
    assertEquals(900, h.getInteger("capacity"));
    assertEquals(T0 + 3000, h.getLong("end"));
    assertEquals(new JsonArray(List.of(T0 + 1000, T0 + 2000, T0 + 3000)), h.getJsonArray("t"));
    JsonObject queue = h.getJsonObject("queue");
    assertEquals(new JsonArray(List.of(10, 20, 30)), queue.getJsonArray("depth"));
    assertEquals(new JsonArray(List.of(42.3, 42.3, 42.3)), queue.getJsonArray("drainPerSecond"),
        "42.25 to one decimal");
    assertEquals(new JsonArray(List.of(250, 250, 250)), queue.getJsonArray("oldestWaitMs"));
    JsonArray none = new JsonArray().addNull().addNull().addNull();
    assertEquals(none, queue.getJsonArray("waitP50Ms"), "no request left the queue");
    assertEquals(new JsonArray().addNull().add(0).add(0), h.getJsonArray("received"));
    JsonObject outcomes = h.getJsonObject("outcomes");
    assertTrue(outcomes.containsKey("served") && outcomes.containsKey("queue_full"), outcomes.encode());
    JsonArray backends = h.getJsonArray("backends");
    assertEquals(2, backends.size());
    JsonObject app = backends.getJsonObject(0);
    assertEquals("app", app.getString("name"));
    assertEquals(new JsonArray(List.of(3, 3, 3)), app.getJsonArray("limit"));
    assertEquals(new JsonArray(List.of(1, 1, 1)), app.getJsonArray("inflight"));
    assertEquals(new JsonArray(List.of(2, 2, 2)), app.getJsonArray("kernelQueue"));
    assertEquals(none, backends.getJsonObject(1).getJsonArray("kernelQueue"), "b2's is not reported");
    assertEquals(new JsonObject().put("address", "127.0.0.1:8080").put("kernelQueue", new JsonArray(List.of(0, 0, 0))),
        h.getJsonArray("listeners").getJsonObject(0));
    // FakeControl's app has moved its limit twice before the first point
    assertEquals(new JsonArray().add(new JsonObject().put("t", T0 + 1000).put("kind", "limit").put("backend", "app")
        .put("text", "\u2191 3 slow_start (2 moves)").put("count", 2)), h.getJsonArray("events"));
  }

  @Test
  void sinceAnswersOnlyWhatIsNewer() throws Exception {
    seconds(3);
    start(Optional.empty());
    JsonObject h = new JsonObject(get("/api/v1/history?since=" + (T0 + 2000)).body());
    assertEquals(new JsonArray(List.of(T0 + 3000)), h.getJsonArray("t"));
    assertEquals(new JsonArray(List.of(30)), h.getJsonObject("queue").getJsonArray("depth"));
    assertEquals(new JsonArray(), h.getJsonArray("events"));
    JsonObject nothing = new JsonObject(get("/api/v1/history?since=" + (T0 + 3000)).body());
    assertEquals(new JsonArray(), nothing.getJsonArray("t"));
    assertNull(nothing.getValue("end"));

    HttpResponse<String> bad = get("/api/v1/history?since=yesterday");
    assertEquals(400, bad.statusCode());
    assertEquals("since: \"yesterday\" (expected: Unix milliseconds, such as the last t seen)",
        new JsonObject(bad.body()).getString("error"));
  }

  @Test
  void withATokenTheHistoryNeedsIt() throws Exception {
    seconds(1);
    start(Optional.of("s3cret"));
    assertEquals(401, get("/api/v1/history").statusCode());
    assertEquals(200, get("/api/v1/history", "Authorization", "Bearer s3cret").statusCode());
  }

  @Test
  void withoutARuntimeTheHistoryIsEmpty() throws Exception {
    server = AdminServer.start(vertx, new AdminConfig(Optional.of(new Address.Tcp("127.0.0.1", 0)), Optional.empty(),
        Optional.empty()), control, metrics);
    JsonObject h = new JsonObject(get("/api/v1/history").body());
    assertEquals(new JsonArray(), h.getJsonArray("t"));
    assertEquals(new JsonArray(), h.getJsonArray("backends"));
  }

  @Test
  void numbersArePlainDecimals() {
    History h = new History(List.of(), List.of(), List.of("served"), 4);
    HistoryRecorder r = new HistoryRecorder(h, new WaitWindow());
    FakeControl big = new FakeControl(FakeControl.defaults());
    r.sample(big.status(), T0, 0);
    String json = HistoryApi.render(h.view());
    assertTrue(json.startsWith("{\"step\":1000,\"capacity\":4,\"end\":" + T0 + ",\"t\":[" + T0 + "],"), json);
    assertTrue(json.contains("\"drainPerSecond\":[42.3]"), json);
    assertTrue(json.contains("\"outcomes\":{\"served\":[null]}"), json);
    assertTrue(json.endsWith("]}\n"), json);
    new JsonObject(json);
  }
}
