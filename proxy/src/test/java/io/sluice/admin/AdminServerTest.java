package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.sluice.config.AdminConfig;
import io.sluice.config.LimitSetting;
import io.sluice.config.MaxOr;
import io.sluice.metrics.PrometheusMetrics;
import io.sluice.metrics.PrometheusText;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API's contract over real HTTP, against a fake runtime. */
class AdminServerTest {

  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir
  Path dir;

  private Vertx vertx;
  private PrometheusMetrics metrics;
  private FakeControl control;
  private AdminServer server;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    metrics = new PrometheusMetrics();
    control = new FakeControl(FakeControl.defaults());
    metrics.bind(control::status);
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close().await();
    }
    vertx.close().await();
    metrics.close();
  }

  private void start(Optional<String> token, Optional<Path> stateFile) throws IOException {
    server = AdminServer.start(vertx, new AdminConfig(Optional.of(new Address.Tcp("127.0.0.1", 0)), token, stateFile),
        control, metrics);
  }

  private void start() throws IOException {
    start(Optional.empty(), Optional.empty());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + ((Address.Tcp) server.address()).port() + path);
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> patch(String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri("/api/v1/limits")).timeout(Duration.ofSeconds(30))
        .method("PATCH", HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> patchJson(String body) throws Exception {
    return patch(body, "Content-Type", "application/json");
  }

  private static String error(HttpResponse<String> r) {
    return new JsonObject(r.body()).getString("error");
  }

  private static void assertJson(HttpResponse<String> r) {
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    assertEquals("no-store", r.headers().firstValue("Cache-Control").orElse(""));
  }

  @Test
  void statusIs200InTheShapeOfSpecMd() throws Exception {
    start();
    HttpResponse<String> r = get("/api/v1/status");
    assertEquals(200, r.statusCode());
    assertJson(r);
    JsonObject s = new JsonObject(r.body());
    assertEquals(StatusJson.render(control.status()), s);
    for (String key : new String[] {"listeners", "queue", "backends", "totals", "fds", "buffers"}) {
      assertTrue(s.containsKey(key), key);
    }
  }

  @Test
  void limitsIs200() throws Exception {
    start();
    HttpResponse<String> r = get("/api/v1/limits");
    assertEquals(200, r.statusCode());
    assertJson(r);
    assertEquals(new JsonObject("{\"backlog\":\"max\",\"queue\":{\"max\":\"max\",\"timeout\":\"60s\","
        + "\"discipline\":\"adaptive\",\"target\":\"500ms\"},\"backends\":{\"app\":{\"limit\":\"auto\"},"
        + "\"b2\":{\"limit\":4}}}"), new JsonObject(r.body()));
  }

  @Test
  void aPatchIsAppliedWholeAndAnsweredWithTheNewLimits() throws Exception {
    start();
    HttpResponse<String> r = patchJson("{\"backlog\":\"512\",\"queue\":{\"max\":500,\"timeout\":\"30s\"},"
        + "\"backends\":{\"b2\":{\"limit\":\"auto\"}}}");
    assertEquals(200, r.statusCode(), r.body());
    assertJson(r);
    Limits expected = new Limits(MaxOr.of(512), MaxOr.of(500), Duration.ofSeconds(30),
        Map.of("app", LimitSetting.AUTO, "b2", LimitSetting.AUTO));
    assertEquals(LimitsPatch.render(expected), new JsonObject(r.body()));
    assertEquals(1, control.applies(), "one apply for the whole document");
    assertEquals(expected, control.limits());
    assertEquals(200, patch("{\"queue\":{\"max\":\"max\"}}", "Content-Type",
        "application/merge-patch+json; charset=utf-8").statusCode());
  }

  @Test
  void everyRefusalIsPreciseAndChangesNothing() throws Exception {
    start();
    HttpResponse<String> r = patchJson("{\"queue\":{\"max\":\"-3\",\"timeout\":\"5s\"}}");
    assertEquals(400, r.statusCode());
    assertJson(r);
    assertEquals("queue.max: \"-3\" (expected: max or an integer >= 1)", error(r));

    r = patchJson("{\"queue\":{\"timeout\":\"5s\"},\"nope\":1}");
    assertEquals(400, r.statusCode());
    assertEquals("unknown key \"nope\" (expected: backlog, queue, backends)", error(r));

    r = patchJson("{\"queue\":{\"max\":5");
    assertEquals(400, r.statusCode());
    assertTrue(error(r).startsWith("malformed JSON: "), error(r));
    assertFalse(error(r).contains("Source:"), error(r));

    r = patchJson("");
    assertEquals(400, r.statusCode());
    assertTrue(error(r).startsWith("empty body"), error(r));

    r = patchJson("{\"backends\":{\"nope\":{\"limit\":1}}}");
    assertEquals(404, r.statusCode());
    assertEquals("backends.nope: no such backend (known: app, b2)", error(r));

    r = patch("{\"queue\":{\"max\":5}}");
    assertEquals(415, r.statusCode());
    assertEquals("Content-Type missing (expected: application/json)", error(r));
    r = patch("queue.max=5", "Content-Type", "application/x-www-form-urlencoded");
    assertEquals(415, r.statusCode());
    r = patch("{}", "Content-Type", "text/plain");
    assertEquals(415, r.statusCode());

    r = patchJson("{\"backlog\":\"" + "9".repeat(70_000) + "\"}");
    assertEquals(413, r.statusCode());

    assertEquals(0, control.applies());
    assertEquals(FakeControl.defaults(), control.limits());
  }

  @Test
  void whatTheRuntimeRefusesComesThroughWithItsStatus() throws Exception {
    start();
    control.refuseNext = new InvalidLimitsException(400, "backlog: backlog 9000 is above net.core.somaxconn (4096)");
    HttpResponse<String> r = patchJson("{\"backlog\":9000}");
    assertEquals(400, r.statusCode());
    assertEquals("backlog: backlog 9000 is above net.core.somaxconn (4096)", error(r));
    control.refuseNext = new InvalidLimitsException(500, "backlog: the kernel refused listen(64)");
    assertEquals(500, patchJson("{\"backlog\":64}").statusCode());
  }

  @Test
  void otherMethodsAndPathsAnswerJson() throws Exception {
    start();
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri("/api/v1/limits"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).header("Content-Type", "application/json").build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, r.statusCode());
    assertEquals("method POST is not allowed on /api/v1/limits", error(r));
    r = get("/api/v1/nope");
    assertEquals(404, r.statusCode());
    assertEquals("no such resource: /api/v1/nope", error(r));
  }

  @Test
  void healthAndReadiness() throws Exception {
    start();
    assertEquals(200, get("/healthz").statusCode());
    assertEquals(200, get("/readyz").statusCode());
    assertEquals(new JsonObject().put("ready", true), new JsonObject(get("/readyz").body()));
    control.ready = false;
    HttpResponse<String> r = get("/readyz");
    assertEquals(503, r.statusCode());
    assertEquals(new JsonObject().put("ready", false), new JsonObject(r.body()));
    assertEquals(200, get("/healthz").statusCode());
  }

  @Test
  void metricsInPrometheusText() throws Exception {
    start();
    control.depth = 6;
    HttpResponse<String> r = get("/metrics");
    assertEquals(200, r.statusCode());
    assertEquals(PrometheusMetrics.TEXT_FORMAT, r.headers().firstValue("Content-Type").orElse(""));
    assertEquals(6, PrometheusText.parse(r.body()).value("sluice_queue_depth"));
  }

  @Test
  void theDashboardIsServedWithItsScriptAndStyle() throws Exception {
    start();
    HttpResponse<String> page = get("/");
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    assertTrue(page.body().contains("<script src=\"app.js\""), page.body());
    assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"));
    assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElse(""));
    HttpResponse<String> js = get("/app.js");
    assertEquals(200, js.statusCode());
    assertTrue(js.body().contains("sessionStorage") && js.body().contains("api/v1/"), "the script");
    assertEquals(200, get("/style.css").statusCode());
    assertEquals(404, get("/nope.js").statusCode());
  }

  @Test
  void withATokenTheApiAndMetricsNeedIt() throws Exception {
    start(Optional.of("s3cret"), Optional.empty());
    for (String path : new String[] {"/api/v1/status", "/api/v1/limits", "/metrics"}) {
      HttpResponse<String> r = get(path);
      assertEquals(401, r.statusCode(), path);
      assertEquals("Bearer realm=\"sluice\"", r.headers().firstValue("WWW-Authenticate").orElse(""), path);
      assertEquals("a bearer token is required (expected: Authorization: Bearer TOKEN)", error(r));

      r = get(path, "Authorization", "Bearer wrong");
      assertEquals(401, r.statusCode(), path);
      assertEquals("Bearer realm=\"sluice\", error=\"invalid_token\"",
          r.headers().firstValue("WWW-Authenticate").orElse(""));
      assertEquals(401, get(path, "Authorization", "Bearer s3cret-and-more").statusCode());
      assertEquals(401, get(path, "Authorization", "Basic czNjcmV0").statusCode());

      assertEquals(200, get(path, "Authorization", "Bearer s3cret").statusCode(), path);
      assertEquals(200, get(path, "Authorization", "bearer s3cret").statusCode(), path);
    }
    HttpResponse<String> r = patch("{\"queue\":{\"max\":5}}", "Content-Type", "application/json");
    assertEquals(401, r.statusCode());
    assertEquals(0, control.applies());
    assertEquals(200, patch("{\"queue\":{\"max\":5}}", "Content-Type", "application/json", "Authorization",
        "Bearer s3cret").statusCode());
    for (String open : new String[] {"/", "/app.js", "/healthz", "/readyz"}) {
      assertEquals(200, get(open).statusCode(), open);
    }
  }

  @Test
  void withATokenAnyHostIsServed() throws Exception {
    start(Optional.of("t"), Optional.empty());
    int port = ((Address.Tcp) server.address()).port();
    assertEquals(200, RawHttp.tcp(port, "GET /api/v1/limits HTTP/1.1\r\nHost: sluice.internal\r\n"
        + "Authorization: Bearer t\r\n").status());
  }

  @Test
  void withoutATokenAPageFromAnotherSiteIsRefused() throws Exception {
    start();
    int port = ((Address.Tcp) server.address()).port();
    RawHttp.Answer a = RawHttp.tcp(port, "GET /api/v1/limits HTTP/1.1\r\nHost: rebound.evil.example:" + port + "\r\n");
    assertEquals(403, a.status());
    assertTrue(a.body().contains("is not this machine"), a.body());
    assertEquals(403, RawHttp.tcp(port, "GET / HTTP/1.1\r\nHost: rebound.evil.example\r\n").status());
    assertEquals(200, RawHttp.tcp(port, "GET /api/v1/limits HTTP/1.1\r\nHost: localhost:" + port + "\r\n").status());
    assertEquals(200, RawHttp.tcp(port, "GET /api/v1/limits HTTP/1.1\r\nHost: 127.0.0.1\r\n").status());
  }

  @Test
  void withoutATokenAnAddressOtherMachinesReachIsRefused() {
    for (Address a : new Address[] {new Address.Tcp("0.0.0.0", 0), new Address.Tcp("", 0)}) {
      IOException e = assertThrows(IOException.class, () -> AdminServer.start(vertx,
          new AdminConfig(Optional.of(a), Optional.empty(), Optional.empty()), control, metrics));
      assertEquals("admin API on " + a + ": a token is required on an address other machines can reach (expected: "
          + "--admin-token TOKEN or SLUICE_ADMIN_TOKEN, or bind to 127.0.0.1)", e.getMessage());
    }
  }

  @Test
  void aPortInUseIsAnErrorNamingTheAdminAddress() throws Exception {
    start();
    Address taken = server.address();
    IOException e = assertThrows(IOException.class, () -> AdminServer.start(vertx,
        new AdminConfig(Optional.of(taken), Optional.empty(), Optional.empty()), control, metrics));
    assertTrue(e.getMessage().startsWith("admin API on " + taken + ": "), e.getMessage());
    assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("in use"), e.getMessage());
  }

  @Test
  void onAUnixSocket() throws Exception {
    Path socket = dir.resolve("admin.sock");
    server = AdminServer.start(vertx, new AdminConfig(Optional.of(new Address.Unix(socket)), Optional.empty(),
        Optional.empty()), control, metrics);
    assertEquals(new Address.Unix(socket), server.address());
    RawHttp.Answer a = RawHttp.unix(socket, "GET /api/v1/limits HTTP/1.1\r\nHost: localhost\r\n");
    assertEquals(200, a.status());
    assertEquals(LimitsPatch.render(control.limits()), new JsonObject(a.body()));
    server.close().await();
    // a stale socket file from a previous run is replaced
    server = AdminServer.start(vertx, new AdminConfig(Optional.of(new Address.Unix(socket)), Optional.empty(),
        Optional.empty()), control, metrics);
    assertEquals(200, RawHttp.unix(socket, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n").status());
  }

  @Test
  void aPatchIsWrittenToTheStateFile() throws Exception {
    Path file = dir.resolve("limits.json");
    start(Optional.empty(), Optional.of(file));
    assertEquals(200, patchJson("{\"backends\":{\"app\":{\"limit\":8}}}").statusCode());
    assertEquals(LimitsPatch.render(control.limits()), new JsonObject(Files.readString(file)));
    assertEquals(LimitSetting.of(8), control.limits().backends().get("app"));
    assertEquals(400, patchJson("{\"backends\":{\"app\":{\"limit\":0}}}").statusCode());
    assertEquals(8, new JsonObject(Files.readString(file)).getJsonObject("backends").getJsonObject("app")
        .getInteger("limit"));
  }

  @Test
  void whenTheStateFileCannotBeWrittenTheLimitsAreLeftAsTheyWere() throws Exception {
    Path sub = Files.createDirectory(dir.resolve("state"));
    start(Optional.empty(), Optional.of(sub.resolve("limits.json")));
    Files.delete(sub);
    HttpResponse<String> r = patchJson("{\"queue\":{\"max\":7}}");
    assertEquals(500, r.statusCode());
    assertTrue(error(r).startsWith("cannot write the state file " + sub.resolve("limits.json")), error(r));
    assertTrue(error(r).endsWith("so the limits were left as they were"), error(r));
    assertEquals(FakeControl.defaults(), control.limits());
  }
}
