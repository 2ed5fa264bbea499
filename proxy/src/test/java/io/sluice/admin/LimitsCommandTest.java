package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.sluice.config.AdminConfig;
import io.sluice.config.LimitSetting;
import io.sluice.config.MaxOr;
import io.sluice.metrics.MetricsSource;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code sluice limits} against a real admin listener over a fake runtime. */
class LimitsCommandTest {

  @TempDir
  Path dir;

  private Vertx vertx;
  private FakeControl control;
  private AdminServer server;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    control = new FakeControl(FakeControl.defaults());
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close().await();
    }
    vertx.close().await();
  }

  private String start(Optional<String> token) throws Exception {
    server = AdminServer.start(vertx, new AdminConfig(Optional.of(new Address.Tcp("127.0.0.1", 0)), token,
        Optional.empty()), control, s -> new MetricsSource.Scrape("text/plain", new byte[0]));
    return server.address().toString();
  }

  private int run(Map<String, String> env, String... args) {
    out.reset();
    err.reset();
    return LimitsCommand.run(args, env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private int run(String... args) {
    return run(Map.of(), args);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void showsTheLimitsWithWhatIsInForce() throws Exception {
    String admin = start(Optional.empty());
    assertEquals(0, run("--admin", admin), err());
    assertEquals("""
        backlog            max    (4096 now)
        queue.max          max    (19000 now, 0 waiting)
        queue.timeout      60s
        queue.discipline   adaptive (normal now)
        queue.target       500ms
        backend.app.limit  auto   (3 now, 1 in flight)
        backend.b2.limit   4      (1 in flight)
        """, out());
    assertEquals("", err());
  }

  @Test
  void printsTheDocumentWithJson() throws Exception {
    String admin = start(Optional.empty());
    assertEquals(0, run("--admin=" + admin, "--json"), err());
    assertEquals(LimitsPatch.render(control.limits()), new io.vertx.core.json.JsonObject(out()));
  }

  @Test
  void setsSeveralLimitsInOnePatch() throws Exception {
    String admin = start(Optional.empty());
    assertEquals(0, run("--admin", admin, "set", "backend.app.limit=8", "queue.max=max", "queue.timeout=30s",
        "backlog=512", "backends.b2.limit=auto"), err());
    assertEquals(1, control.applies());
    assertEquals(new Limits(MaxOr.of(512), MaxOr.MAX, Duration.ofSeconds(30),
        Map.of("app", LimitSetting.of(8), "b2", LimitSetting.AUTO)), control.limits());
    assertTrue(out().startsWith("backlog            512\n"), out());
    assertTrue(out().contains("backend.app.limit  8      (1 in flight)\n"), out());
  }

  @Test
  void whatTheServerRefusesIsPrintedAsItSaysItExitOne() throws Exception {
    String admin = start(Optional.empty());
    assertEquals(1, run("--admin", admin, "set", "queue.max=-3"));
    assertEquals("sluice limits: queue.max: \"-3\" (expected: max or an integer >= 1)\n", err());
    assertEquals(1, run("--admin", admin, "set", "backend.nope.limit=3"));
    assertEquals("sluice limits: backends.nope: no such backend (known: app, b2)\n", err());
    assertEquals(0, control.applies());
  }

  @Test
  void theTokenFromTheFlagOrTheEnvironment() throws Exception {
    String admin = start(Optional.of("s3cret"));
    assertEquals(1, run("--admin", admin));
    assertEquals("sluice limits: the admin API at " + admin + " needs its token (expected: --admin-token TOKEN or "
        + "SLUICE_ADMIN_TOKEN)\n", err());
    assertEquals(1, run("--admin", admin, "--admin-token", "wrong"));
    assertEquals("sluice limits: the bearer token is wrong\n", err());
    assertEquals(0, run("--admin", admin, "--admin-token", "s3cret", "set", "queue.max=9"), err());
    assertEquals(MaxOr.of(9), control.limits().queueMax());
    assertEquals(0, run(Map.of("SLUICE_ADMIN_TOKEN", "s3cret"), "--admin", admin), err());
  }

  @Test
  void theAddressAndTokenFromSluicesConfigurationFile() throws Exception {
    String admin = start(Optional.of("s3cret"));
    Path config = dir.resolve("sluice.yaml");
    Files.writeString(config, "backends:\n  - address: unix:/run/app.sock\n"
        + "admin:\n  address: " + admin + "\n  token: ${TOKEN}\n");
    assertEquals(0, run(Map.of("TOKEN", "s3cret"), "--config", config.toString(), "set", "queue.max=7"), err());
    assertEquals(MaxOr.of(7), control.limits().queueMax());
    assertEquals(1, run(Map.of("TOKEN", "s3cret"), "--config", config.toString(), "--admin-token", "wrong"));
    assertEquals("sluice limits: the bearer token is wrong\n", err(), "the flag wins over the file");

    Files.writeString(config, "backends:\n  - address: unix:/run/app.sock\nadmin:\n  address: off\n");
    assertEquals(2, run("--config", config.toString()));
    assertEquals("sluice limits: --config " + config + ": the admin API is off there (admin.address: off), so there "
        + "is nothing to ask\n", err());
    assertEquals(0, run("--config", config.toString(), "--admin", admin, "--admin-token", "s3cret"), err());

    Files.writeString(config, "backends: [\n");
    assertEquals(2, run("--config", config.toString()));
    assertTrue(err().startsWith("sluice limits: " + config), err());
  }

  @Test
  void overAUnixSocket() throws Exception {
    Path socket = dir.resolve("admin.sock");
    server = AdminServer.start(vertx, new AdminConfig(Optional.of(new Address.Unix(socket)), Optional.empty(),
        Optional.empty()), control, s -> new MetricsSource.Scrape("text/plain", new byte[0]));
    assertEquals(0, run("--admin", "unix:" + socket, "set", "backend.b2.limit=2"), err());
    assertEquals(LimitSetting.of(2), control.limits().backends().get("b2"));
  }

  @Test
  void nobodyListeningIsExitOne() throws Exception {
    Path socket = dir.resolve("none.sock");
    assertEquals(1, run("--admin", "unix:" + socket));
    assertTrue(err().startsWith("sluice limits: cannot reach the admin API at unix:" + socket + ": "), err());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "set foo=1|sluice limits: \"foo=1\": unknown key \"foo\" (expected: backlog, queue.max, queue.timeout, "
          + "queue.discipline, queue.target or backend.NAME.limit)",
      "set queue.max|sluice limits: \"queue.max\" (expected: KEY=VALUE, such as queue.max=500)",
      "set =5|sluice limits: \"=5\" (expected: KEY=VALUE, such as queue.max=500)",
      "set backend..limit=3|sluice limits: \"backend..limit=3\": unknown key \"backend..limit\" (expected: backlog, "
          + "queue.max, queue.timeout, queue.discipline, queue.target or backend.NAME.limit)",
      "set|sluice limits: set: nothing to set (expected: KEY=VALUE ..., KEY one of backlog, queue.max, "
          + "queue.timeout, queue.discipline, queue.target or backend.NAME.limit)",
      "show|sluice limits: unexpected argument \"show\" (expected: set KEY=VALUE ...)",
      "--nope|sluice limits: unknown option --nope (run sluice limits --help)",
      "--admin off|sluice limits: --admin: \"off\" (expected: HOST:PORT or unix:/path of a running Sluice's admin API)",
      "--admin 9901|sluice limits: --admin: \"9901\" has no port (expected: HOST:PORT, :PORT or unix:/path)",
      "--admin-token|sluice limits: --admin-token: missing value (expected: a non-empty token)",
  })
  void aWrongArgumentIsExitTwoWithOneLine(String args, String message) {
    List<String> list = new ArrayList<>(List.of(args.split(" ")));
    assertEquals(2, run(list.toArray(String[]::new)));
    assertEquals(message + "\n", err());
    assertEquals("", out());
  }

  @Test
  void help() {
    assertEquals(0, run("--help"));
    assertTrue(out().startsWith("Usage: sluice limits"), out());
  }
}
