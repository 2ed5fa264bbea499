package io.sluice.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SpikeCliTest {

  @TempDir
  Path dir;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private String output() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      ''                                  | no TARGET given (expected: http://HOST:PORT/path or unix:/path/to.sock)
      --frobnicate unix:/x.sock           | unknown option --frobnicate (expected: -c/--connections N, --path PATH, --timeout DURATION, --json, --help)
      -c                                  | -c: missing value (expected: an integer >= 1)
      -c 0 unix:/x.sock                   | -c: "0" (expected: an integer >= 1)
      --connections=many unix:/x.sock     | --connections: "many" (expected: an integer >= 1)
      --timeout 30 unix:/x.sock           | --timeout: "30" (expected: a duration such as 500ms, 30s, 2m or 1h)
      --timeout 0s unix:/x.sock           | --timeout: "0s" (expected: more than 0)
      --path nope unix:/x.sock            | --path: "nope" (expected: a path starting with /)
      --json=yes unix:/x.sock             | --json: "yes" (expected: no value)
      unix:/a.sock unix:/b.sock           | one TARGET expected, got "unix:/a.sock" and "unix:/b.sock"
      https://example.com/                | TARGET "https://example.com/": https is not supported (expected: http://HOST:PORT/path or unix:/path/to.sock)
      example.com:80                      | TARGET "example.com:80" (expected: http://HOST:PORT/path or unix:/path/to.sock)
      http://:8080/                       | TARGET "http://:8080/" has no usable host (expected: http://HOST:PORT/path or unix:/path/to.sock)
      http://host:0/                      | TARGET "http://host:0/": port 0 cannot be connected to
      """)
  void wrongArgumentsExitWith2AndOneLine(String args, String message) {
    String[] argv = args.isEmpty() ? new String[0] : args.split(" ");
    assertEquals(Spike.EXIT_USAGE, Spike.run(argv, out));
    assertEquals("sluice spike: " + message + System.lineSeparator(), output());
  }

  @Test
  void helpExitsWith0() {
    assertEquals(Spike.EXIT_OK, Spike.run(new String[] {"--help"}, out));
    assertTrue(output().startsWith("usage: sluice spike "), output());
  }

  @Test
  void printsJsonAndExits0WhenEveryRequestGets2xx() throws Exception {
    Vertx server = Vertx.vertx();
    try {
      HttpServer http = SpikeTest.await(server.createHttpServer()
          .requestHandler(req -> req.response().end(req.path())).listen(0, "127.0.0.1"));
      int status = Spike.run(new String[] {"-c", "20", "--json", "--path", "/ping",
          "http://127.0.0.1:" + http.actualPort() + "/ignored"}, out);

      assertEquals(Spike.EXIT_OK, status, output());
      assertEquals(1, output().lines().count(), output());
      JsonObject json = new JsonObject(output());
      assertEquals("http://127.0.0.1:" + http.actualPort(), json.getString("target"));
      assertEquals("/ping", json.getString("path"));
      assertEquals(20, json.getInteger("requests"));
      assertEquals(20, json.getInteger("responses"));
      assertEquals(0, json.getInteger("failed"));
      assertEquals(new JsonObject().put("200", 20), json.getJsonObject("statuses"));
      assertEquals(0, json.getJsonObject("failures").getInteger("connectEagain"));
      assertEquals(SpikeResult.Failure.values().length, json.getJsonObject("failures").size());
      assertTrue(json.getJsonObject("latencyMs").getDouble("max") > 0);
    } finally {
      SpikeTest.await(server.close());
    }
  }

  @Test
  void reportsEagainAndExits1AgainstAFullBacklog() throws Exception {
    try (DemoBackend backend = DemoBackend.start(dir.resolve("app.sock"), 4, 2, Duration.ofMillis(50))) {
      int status = Spike.run(new String[] {"--connections", "50", "unix:" + backend.path()}, out);

      assertEquals(Spike.EXIT_FAILED, status, output());
      String[] lines = output().split(System.lineSeparator());
      assertEquals(2, lines.length, output());
      assertTrue(lines[0].matches("50 requests, \\d+ x 200, \\d+ failed in \\d+\\.\\d\\d s \\(\\d+ req/s\\); "
          + "latency p50 .+, p90 .+, p99 .+, max .+"), lines[0]);
      assertTrue(lines[1].matches("  \\d+ failed: connect EAGAIN: listen queue full "
          + "\\(Resource temporarily unavailable\\)"), lines[1]);
    }
  }
}
