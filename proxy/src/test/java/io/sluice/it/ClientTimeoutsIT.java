package io.sluice.it;

import static io.sluice.it.ScriptedBackend.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sluice's own client timeouts: idle and half-sent heads are closed, stalled and trickling bodies get 408, queued waits
 * are not cut.
 */
class ClientTimeoutsIT {

  @TempDir
  Path dir;

  private RunningProxy start(ScriptedBackend b, String... extra) throws Exception {
    Path config = dir.resolve("sluice.yaml");
    Files.writeString(config, "backends:\n  - address: " + b.address() + "\n"
        + "clients:\n  idleTimeout: 500ms\n  bodyTimeout: 500ms\n");
    String[] args = new String[extra.length + 2];
    args[0] = "--config";
    args[1] = config.toString();
    System.arraycopy(extra, 0, args, 2, extra.length);
    return RunningProxy.start(args);
  }

  /** Reads until the server closes the connection; fails if it stays open for 5 s. */
  private static String readToClose(Socket s) throws Exception {
    s.setSoTimeout(5000);
    InputStream in = s.getInputStream();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      int n;
      while ((n = in.read(buf)) > 0) {
        got.write(buf, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the connection stayed open; got so far: " + got, e);
    }
    return got.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void anIdleKeepAliveConnectionIsClosed() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      return true;
    }); RunningProxy sluice = start(b); Socket s = new Socket("127.0.0.1", sluice.port())) {
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      long start = System.nanoTime();
      String got = readToClose(s);
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertTrue(got.startsWith("HTTP/1.1 200") && got.endsWith("ok"), got);
      // Not before the idle timeout of 500 ms; the upper bound is readToClose's own 5 s.
      assertTrue(ms >= 400, "closed after " + ms + " ms");
    }
  }

  @Test
  void aHeadThatNeverEndsIsClosed() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> false);
         RunningProxy sluice = start(b); Socket s = new Socket("127.0.0.1", sluice.port())) {
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nX-Slow:".getBytes(StandardCharsets.US_ASCII));
      assertEquals("", readToClose(s));
      assertTrue(b.seen.isEmpty());
    }
  }

  @Test
  void aBodyThatStopsArrivingGets408() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> false);
         RunningProxy sluice = start(b); Socket s = new Socket("127.0.0.1", sluice.port())) {
      s.getOutputStream().write(("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
          .getBytes(StandardCharsets.US_ASCII));
      String got = readToClose(s);
      assertTrue(got.startsWith("HTTP/1.1 408"), got);
      assertTrue(b.seen.isEmpty(), "nothing reached the backend");
    }
  }

  @Test
  void aBodyThatTricklesBelowTheMinimumRateGets408() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> false);
         RunningProxy sluice = start(b); Socket s = new Socket("127.0.0.1", sluice.port())) {
      OutputStream out = s.getOutputStream();
      out.write("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      // A byte every 100 ms: never silent for the 500 ms body timeout, far below the default 1 KiB/s.
      ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
      try {
        trickle.scheduleAtFixedRate(() -> {
          try {
            out.write('x');
          } catch (IOException closed) {
            throw new IllegalStateException("closed", closed);
          }
        }, 0, 100, TimeUnit.MILLISECONDS);
        String got = readToClose(s);
        assertTrue(got.startsWith("HTTP/1.1 408"), got);
        assertTrue(got.contains("too slowly"), got);
      } finally {
        trickle.shutdownNow();
      }
      assertTrue(b.seen.isEmpty(), "nothing reached the backend");
    }
  }

  @Test
  void aRequestWaitingInTheQueueIsNotCutByTheIdleTimeout() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      Thread.sleep(1500);
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      return false;
    }); RunningProxy sluice = start(b, "--limit", "1")) {
      CompletableFuture<HttpResponse<String>> first = Http.getAsync(sluice.uri("/1"));
      CompletableFuture<HttpResponse<String>> second = Http.getAsync(sluice.uri("/2"));
      assertEquals(200, first.get(20, TimeUnit.SECONDS).statusCode());
      assertEquals(200, second.get(20, TimeUnit.SECONDS).statusCode(), "waited about 3 s, well past 500 ms");
    }
  }
}
