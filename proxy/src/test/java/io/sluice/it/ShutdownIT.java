package io.sluice.it;

import static io.sluice.it.ScriptedBackend.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
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

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private Process start(String backend, int port, String... extra) throws Exception {
    assertTrue(Files.exists(JAR), JAR.toAbsolutePath() + " is built in the package phase");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", JAR.toString(), "--listen", "127.0.0.1:" + port, "--backend", backend, "--admin", "off"));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("sluice.log").toFile())
        .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return p;
      } catch (IOException notYet) {
        if (!p.isAlive()) {
          fail("sluice exited with " + p.exitValue() + ": " + Files.readString(dir.resolve("sluice.log")));
        }
        Thread.sleep(50);
      }
    }
    p.destroyForcibly();
    fail("sluice did not start: " + Files.readString(dir.resolve("sluice.log")));
    return null;
  }

  /**
   * Waits until the requests are inside Sluice: the backend has the first, and the rest have had time to be read.
   * A request still unread when SIGTERM arrives rides a connection that looks idle, which a graceful stop closes.
   */
  private static void awaitInside(ScriptedBackend b) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (b.seen.isEmpty()) {
      assertTrue(System.nanoTime() < deadline, "no request reached the backend");
      Thread.sleep(10);
    }
    Thread.sleep(200);
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
      awaitInside(b);
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
      awaitInside(b);
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
