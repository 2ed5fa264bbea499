package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static io.sluice.it.ScriptedBackend.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real command, stopped by SIGTERM: queued and in-flight requests finish, then it exits 0. */
class ShutdownIT {

  private static final Path JAR = Path.of("target", "sluice.jar");

  @TempDir
  Path dir;
  private int adminPort;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The command on {@code port}, with its admin API on a port of its own, {@link #adminPort}. */
  private Process start(String backend, int port, String... extra) throws Exception {
    assertTrue(Files.exists(JAR), JAR.toAbsolutePath() + " is built in the package phase");
    adminPort = freePort();
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", JAR.toString(), "--listen", "127.0.0.1:" + port, "--backend", backend, "--admin",
        "127.0.0.1:" + adminPort));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("sluice.log").toFile())
        .start();
    try {
      eventually(() -> {
        if (!p.isAlive()) {
          fail("sluice exited with " + p.exitValue() + ": " + Files.readString(dir.resolve("sluice.log")));
        }
        // The admin listener opens after the front one: once it accepts, both do.
        try (Socket s = new Socket("127.0.0.1", adminPort)) {
          return null;
        } catch (IOException notYet) {
          return "sluice did not start: " + Files.readString(dir.resolve("sluice.log"));
        }
      });
    } catch (Exception | AssertionError e) {
      p.destroyForcibly();
      throw e;
    }
    return p;
  }

  /**
   * Waits until every request is inside Sluice: a request still unread when SIGTERM arrives rides a connection that
   * looks idle, which a graceful stop closes.
   */
  private void awaitInside(int requests) throws Exception {
    eventually(() -> {
      HttpResponse<byte[]> r = Http.get(URI.create("http://127.0.0.1:" + adminPort + "/api/v1/status"));
      long received = new JsonObject(new String(r.body(), StandardCharsets.UTF_8)).getJsonObject("totals")
          .getLong("received");
      return received == requests ? null : received + " of " + requests + " requests received";
    });
  }

  @Test
  void sigtermDrainsTheQueueThenExitsZero() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      Thread.sleep(300);
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      return false;
    })) {
      int port = freePort();
      Process sluice = start(b.address(), port, "--limit", "1", "--drain-timeout", "20s");
      List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        pending.add(Http.getAsync(URI.create("http://127.0.0.1:" + port + "/q" + i)));
      }
      awaitInside(pending.size());
      sluice.destroy();
      for (CompletableFuture<HttpResponse<String>> f : pending) {
        assertEquals(200, f.get(30, TimeUnit.SECONDS).statusCode(), "a queued request is served during the drain");
      }
      assertTrue(sluice.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, sluice.exitValue(), Files.readString(dir.resolve("sluice.log")));
      assertEquals(6, b.seen.size());
    }
  }

  @Test
  void whatStillWaitsAtTheDrainTimeoutGets503() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      Thread.sleep(500);
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      return false;
    })) {
      int port = freePort();
      Process sluice = start(b.address(), port, "--limit", "1", "--drain-timeout", "1s");
      List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        pending.add(Http.getAsync(URI.create("http://127.0.0.1:" + port + "/q" + i)));
      }
      awaitInside(pending.size());
      sluice.destroy();
      int ok = 0;
      int unavailable = 0;
      for (CompletableFuture<HttpResponse<String>> f : pending) {
        int status = f.get(30, TimeUnit.SECONDS).statusCode();
        ok += status == 200 ? 1 : 0;
        unavailable += status == 503 ? 1 : 0;
      }
      assertEquals(8, ok + unavailable, "every client got an answer, none a reset");
      assertTrue(ok >= 1 && unavailable >= 1, ok + " served, " + unavailable + " refused");
      assertTrue(sluice.waitFor(30, TimeUnit.SECONDS));
      assertEquals(0, sluice.exitValue());
    }
  }
}
