package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.Sluice;
import io.sluice.admin.LimitsCommand;
import io.sluice.config.Address;
import io.sluice.config.CommandLine;
import io.sluice.config.Invocation;
import io.sluice.config.LimitSetting;
import io.sluice.config.MaxOr;
import io.sluice.metrics.PrometheusText;
import io.sluice.queue.Dispatcher;
import io.sluice.queue.QueueSnapshot;
import io.sluice.runtime.StartupException;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API of a real Sluice in front of real gunicorn sync workers: live limits, metrics, persistence, auth. */
class AdminIT {

  private static final Path JAR = Path.of("target", "sluice.jar");

  @TempDir
  static Path dir;
  private static WsgiServer gunicorn;

  @TempDir
  Path stateDir;

  @BeforeAll
  static void startBackend() throws Exception {
    gunicorn = WsgiServer.gunicorn(dir, 8, 64);
  }

  @AfterAll
  static void stopBackend() throws Exception {
    if (gunicorn != null) {
      gunicorn.close();
    }
  }

  private static RunningProxy start(String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("--backend", "app=" + gunicorn.address()));
    if (!List.of(extra).contains("--admin")) {
      args.addAll(List.of("--admin", "127.0.0.1:0"));
    }
    args.addAll(List.of(extra));
    return RunningProxy.start(args.toArray(String[]::new));
  }

  private static URI admin(RunningProxy p, String path) {
    Address.Tcp a = (Address.Tcp) p.sluice().adminAddress().orElseThrow();
    return URI.create("http://127.0.0.1:" + a.port() + path);
  }

  private static HttpResponse<String> get(URI uri, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return Http.CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject status(RunningProxy p) throws Exception {
    HttpResponse<String> r = get(admin(p, "/api/v1/status"));
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private static HttpResponse<String> patch(RunningProxy p, String json) throws Exception {
    return Http.CLIENT.send(HttpRequest.newBuilder(admin(p, "/api/v1/limits")).timeout(Duration.ofSeconds(30))
        .method("PATCH", HttpRequest.BodyPublishers.ofString(json)).header("Content-Type", "application/json")
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static int depth(JsonObject status) {
    return status.getJsonObject("queue").getInteger("depth");
  }

  private static int inflight(JsonObject status) {
    return status.getJsonArray("backends").getJsonObject(0).getInteger("inflight");
  }

  /** Polls the status API until depth and in-flight are these. */
  private static JsonObject awaitStatus(RunningProxy p, int depth, int inflight) throws Exception {
    JsonObject[] last = {null};
    eventually(() -> {
      last[0] = status(p);
      return depth(last[0]) == depth && inflight(last[0]) == inflight ? null
          : "depth " + depth(last[0]) + ", in flight " + inflight(last[0]) + "; expected " + depth + ", " + inflight;
    });
    return last[0];
  }

  @Test
  void raisingALimitStartsQueuedRequestsAtOnceAndLoweringItAdmitsNoneUntilInFlightDrains() throws Exception {
    try (RunningProxy sluice = start("--limit", "1")) {
      List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
      // FIFO: four slow requests first, then five quick ones, each queued before the next is sent
      for (int i = 0; i < 9; i++) {
        requests.add(Http.getAsync(sluice.uri(i < 4 ? "/?ms=3000" : "/?ms=200")));
        awaitStatus(sluice, i, 1);
      }

      HttpResponse<String> raised = patch(sluice, "{\"backends\":{\"app\":{\"limit\":4}}}");
      assertEquals(200, raised.statusCode(), raised.body());
      assertEquals(4, new JsonObject(raised.body()).getJsonObject("backends").getJsonObject("app").getValue("limit"));
      // At once: before the request that was in flight (3 s) is done, the next three are in flight with it.
      JsonObject s = awaitStatus(sluice, 5, 4);
      assertFalse(requests.get(0).isDone(), "the raised limit waited for a request to finish");
      assertEquals(new JsonObject("{\"setting\":4,\"current\":4,\"lastDecision\":null}"),
          s.getJsonArray("backends").getJsonObject(0).getJsonObject("limit"));

      assertEquals(200, patch(sluice, "{\"backends\":{\"app\":{\"limit\":1}}}").statusCode());
      int[] samplesWithFourStillRunning = {0};
      eventually(Duration.ofSeconds(60), () -> {
        JsonObject now = status(sluice);
        int depth = depth(now);
        int inflight = inflight(now);
        assertTrue(inflight <= 4, "in flight " + inflight);
        assertTrue(depth == 5 || inflight <= 1, "a request started while " + inflight + " were in flight above the"
            + " lowered limit of 1 (depth " + depth + ")");
        if (depth == 5 && inflight == 4) {
          samplesWithFourStillRunning[0]++;
        }
        return requests.stream().allMatch(CompletableFuture::isDone) ? null : "depth " + depth + ", in flight "
            + inflight;
      });
      assertTrue(samplesWithFourStillRunning[0] > 0, "lowering the limit let the four in flight run on");
      for (CompletableFuture<HttpResponse<String>> r : requests) {
        assertEquals(200, r.get(30, TimeUnit.SECONDS).statusCode(), "in-flight and queued requests all finish");
      }
    }
  }

  @Test
  void metricsParseAndMoveWithTheLoad() throws Exception {
    try (RunningProxy sluice = start("--limit", "1")) {
      List<CompletableFuture<HttpResponse<String>>> requests = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        requests.add(Http.getAsync(sluice.uri("/?ms=800")));
      }
      awaitStatus(sluice, 3, 1);
      String during = get(admin(sluice, "/metrics")).body();
      PrometheusText t = PrometheusText.parse(during);
      assertTrue(t.value("sluice_queue_depth") > 0, "queue depth while requests wait");
      assertEquals(1, t.value("sluice_backend_inflight", "backend", "app"));
      assertEquals(1, t.value("sluice_backend_limit", "backend", "app"));
      assertTrue(t.value("sluice_queue_oldest_wait_seconds") >= 0);
      assertEquals(64, t.value("sluice_backend_kernel_queue_max", "backend", "app"), "gunicorn --backlog 64");
      String listener = sluice.sluice().listenAddresses().get(0).toString();
      assertEquals(sluice.sluice().backlogs().get(0), (int) t.value("sluice_listener_backlog", "listener", listener));
      t.value("sluice_listener_kernel_queue_depth", "listener", listener);
      t.value("sluice_backend_kernel_queue_depth", "backend", "app");

      for (CompletableFuture<HttpResponse<String>> r : requests) {
        assertEquals(200, r.get(30, TimeUnit.SECONDS).statusCode());
      }
      awaitStatus(sluice, 0, 0);
      String after = get(admin(sluice, "/metrics")).body();
      t = PrometheusText.parse(after);
      assertEquals(0, t.value("sluice_queue_depth"));
      assertEquals(4, t.value("sluice_requests_total", "outcome", "served"));
      assertEquals(0, t.value("sluice_requests_total", "outcome", "queue_full"));
      assertEquals(4, t.value("sluice_queue_wait_seconds_count"));
      assertEquals(4, t.value("sluice_queue_wait_seconds_bucket", "le", "+Inf"));
      assertTrue(t.value("sluice_queue_wait_seconds_sum") > 2.0, "three waited about 0.8, 1.6 and 2.4 s");
      assertTrue(t.types().containsKey("jvm_memory_used_bytes") && t.types().containsKey("process_cpu_usage"));

      if (PrometheusText.officialParserInstalled()) {
        String families = PrometheusText.officialParser(after);
        assertTrue(families.contains("sluice_queue_wait_seconds histogram"), families);
        assertTrue(families.contains("sluice_requests counter"), families);
      } else if (System.getenv("SLUICE_REQUIRE_BACKENDS") != null) {
        fail("the reference parser is missing: install Debian's python3-prometheus-client");
      }
    }
  }

  @Test
  void limitsSetOverTheApiSurviveARestart() throws Exception {
    Path file = stateDir.resolve("limits.json");
    try (RunningProxy sluice = start("--state-file", file.toString())) {
      HttpResponse<String> r = patch(sluice, "{\"queue\":{\"max\":50,\"timeout\":\"5s\"},"
          + "\"backends\":{\"app\":{\"limit\":3}}}");
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(Files.exists(file));
    }
    try (RunningProxy sluice = start("--state-file", file.toString())) {
      assertEquals(new JsonObject("{\"backlog\":\"max\",\"queue\":{\"max\":50,\"timeout\":\"5s\","
          + "\"discipline\":\"adaptive\",\"target\":\"500ms\"},\"backends\":{\"app\":{\"limit\":3}}}"),
          new JsonObject(get(admin(sluice, "/api/v1/limits")).body()));
      QueueSnapshot q = sluice.sluice().dispatcher().snapshot();
      assertEquals(50, q.maxDepth());
      assertEquals(TimeUnit.SECONDS.toNanos(5), q.timeoutNanos());
      assertEquals(3, q.backends().get(0).limit());
      assertEquals(LimitSetting.of(3), sluice.sluice().control().limits().backends().get("app"));
      assertEquals(MaxOr.of(50), sluice.sluice().config().queue().max());
    }
  }

  @Test
  void aCorruptStateFileStopsTheStartWithOneLine() throws Exception {
    Path file = stateDir.resolve("limits.json");
    Files.writeString(file, "{\"queue\": {\"max\": 50,");
    Invocation.Run run = (Invocation.Run) CommandLine.parse(new String[] {"--backend", "app=" + gunicorn.address(),
        "--listen", "127.0.0.1:0", "--admin", "off", "--state-file", file.toString()}, Map.of());
    StartupException e = assertThrows(StartupException.class, () -> Sluice.start(run.config()));
    assertTrue(e.usage(), "exit status 2");
    assertTrue(e.getMessage().startsWith("admin.stateFile " + file + ": not valid JSON: "), e.getMessage());

    Files.writeString(file, "{\"backends\":{\"gone\":{\"limit\":2}}}");
    e = assertThrows(StartupException.class, () -> Sluice.start(run.config()));
    assertEquals("admin.stateFile " + file + ": backends.gone: no such backend in the configuration (known: app); "
        + "fix it or remove it to start from the configuration's limits", e.getMessage());

    Result jar = java("--backend", "app=" + gunicorn.address(), "--listen", "127.0.0.1:0", "--admin", "off",
        "--state-file", file.toString());
    assertEquals(2, jar.status, jar.err);
    assertEquals("sluice: " + e.getMessage() + "\n", jar.err);
  }

  @Test
  void withATokenTheApiNeedsItAndTheDashboardDoesNot() throws Exception {
    try (RunningProxy sluice = start("--admin-token", "s3cret")) {
      HttpResponse<String> r = get(admin(sluice, "/api/v1/status"));
      assertEquals(401, r.statusCode());
      assertEquals("Bearer realm=\"sluice\"", r.headers().firstValue("WWW-Authenticate").orElseThrow());
      assertEquals(401, get(admin(sluice, "/metrics")).statusCode());
      assertEquals(200, get(admin(sluice, "/api/v1/status"), "Authorization", "Bearer s3cret").statusCode());
      assertEquals(200, get(admin(sluice, "/metrics"), "Authorization", "Bearer s3cret").statusCode());
      assertEquals(200, get(admin(sluice, "/")).statusCode());
      assertEquals(200, get(admin(sluice, "/healthz")).statusCode());
      assertEquals(200, get(admin(sluice, "/readyz")).statusCode(), "gunicorn accepts connections");
    }
  }

  @Test
  void withoutATokenThisMachineIsServedAndOtherAddressesAreRefusedAtStart() throws Exception {
    try (RunningProxy sluice = start()) {
      assertEquals(200, get(admin(sluice, "/api/v1/limits")).statusCode());
    }
    Result jar = java("--backend", gunicorn.address(), "--listen", "127.0.0.1:0", "--admin", "0.0.0.0:0");
    assertEquals(2, jar.status, jar.err);
    assertEquals("sluice: --admin: \"0.0.0.0:0\" is not a loopback address, so a token is required (expected: "
        + "--admin-token TOKEN or SLUICE_ADMIN_TOKEN, or bind to 127.0.0.1)\n", jar.err);
  }

  @Test
  void readinessFollowsTheBackend() throws Exception {
    Path missing = stateDir.resolve("nobody.sock");
    try (RunningProxy sluice = RunningProxy.start("--backend", "unix:" + missing, "--admin", "127.0.0.1:0")) {
      assertEquals(503, get(admin(sluice, "/readyz")).statusCode());
      assertEquals(200, get(admin(sluice, "/healthz")).statusCode());
    }
  }

  @Test
  void sluiceLimitsShowsAndSetsThroughTheApi() throws Exception {
    try (RunningProxy sluice = start("--limit", "2")) {
      String adminAddress = sluice.sluice().adminAddress().orElseThrow().toString();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int status = LimitsCommand.run(new String[] {"--admin", adminAddress, "set", "backend.app.limit=8",
          "queue.max=max", "queue.timeout=30s"}, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
      assertEquals(8, sluice.sluice().dispatcher().snapshot().backends().get(0).limit());
      assertEquals(TimeUnit.SECONDS.toNanos(30), sluice.sluice().dispatcher().snapshot().timeoutNanos());

      Result shown = java("limits", "--admin", adminAddress);
      assertEquals(0, shown.status, shown.err);
      assertTrue(shown.out.contains("backend.app.limit  8 "), shown.out);
      assertTrue(shown.out.contains("queue.timeout      30s\n"), shown.out);

      Result refused = java("limits", "--admin", adminAddress, "set", "backend.app.limit=0");
      assertEquals(1, refused.status);
      assertEquals("sluice limits: backends.app.limit: \"0\" (expected: auto or an integer >= 1)\n", refused.err);
      Result wrong = java("limits", "--admin", adminAddress, "set", "limit=3");
      assertEquals(2, wrong.status);
      assertFalse(wrong.err.isEmpty());
      assertEquals(8, sluice.sluice().dispatcher().snapshot().backends().get(0).limit());
    }
  }

  private record Result(int status, String out, String err) {
  }

  /** Runs the packaged jar, as bin/sluice does. */
  private static Result java(String... args) throws IOException, InterruptedException {
    assertTrue(Files.exists(JAR), JAR.toAbsolutePath() + " is built by mvn package before the integration tests");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", JAR.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().remove("SLUICE_ADMIN_TOKEN");
    Path out = Files.createTempFile("sluice-out", ".txt");
    Path err = Files.createTempFile("sluice-err", ".txt");
    try {
      Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("sluice " + String.join(" ", args) + " did not finish");
      }
      return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }
}
