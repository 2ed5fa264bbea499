package io.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sluice.it.UwsgiProtocolIT.Wire;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keep-alive to an HTTP backend that misbehaves after a response without a body: it sends body bytes after a 204, a
 * 304 or a response to HEAD (late, when the next request arrives on the connection; here, bytes that look like a
 * whole response). Those bytes must never become the next request's response: such a connection is not reused.
 */
class BackendReuseIT {

  private static final String STRAY = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray";

  @TempDir
  Path dir;

  /** After a bodiless answer, the next request on the same connection first gets the late "body" of the previous. */
  private static boolean answer(ScriptedBackend.Request r, OutputStream out, ThreadLocal<Boolean> owesBytes)
      throws Exception {
    if (owesBytes.get()) {
      ScriptedBackend.write(out, STRAY);
      owesBytes.set(false);
    }
    switch (r.target()) {
      case "/nocontent" -> {
        ScriptedBackend.write(out, "HTTP/1.1 204 No Content\r\n\r\n");
        owesBytes.set(true);
      }
      case "/cached" -> {
        ScriptedBackend.write(out, "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 5\r\n\r\n");
        owesBytes.set(true);
      }
      default -> {
        if (r.method().equals("HEAD")) {
          ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
          owesBytes.set(true);
        } else {
          ScriptedBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh");
        }
      }
    }
    return true;
  }

  @Test
  void bytesAfterABodilessResponseNeverBecomeTheNextResponse() throws Exception {
    ThreadLocal<Boolean> owesBytes = ThreadLocal.withInitial(() -> false);
    try (ScriptedBackend backend = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> answer(r, out, owesBytes));
         RunningProxy sluice = RunningProxy.start("--backend", backend.address(), "--limit", "1");
         Wire client = new Wire(sluice.port())) {
      for (String first : List.of("GET /nocontent", "GET /cached", "HEAD /page")) {
        client.send(first + " HTTP/1.1\r\nHost: x\r\n\r\n");
        Wire.Response bodiless = client.readHead();
        client.send("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
        Wire.Response next = client.read();
        assertEquals(200, next.status(), first);
        assertEquals("fresh", next.text(), "after " + first + " (" + bodiless.statusLine() + ")");
      }
      assertEquals(6, backend.seen.size());
      assertEquals(4, backend.connections.get(), "a new connection after each bodiless response, reused otherwise");
    }
  }

  @Test
  void aConnectionIsStillReusedAfterAResponseWithABody() throws Exception {
    ThreadLocal<Boolean> owesBytes = ThreadLocal.withInitial(() -> false);
    try (ScriptedBackend backend = ScriptedBackend.start(dir.resolve("c.sock"), (r, out) -> answer(r, out, owesBytes));
         RunningProxy sluice = RunningProxy.start("--backend", backend.address(), "--limit", "1");
         Wire client = new Wire(sluice.port())) {
      for (int i = 0; i < 3; i++) {
        client.send("GET /page HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals("fresh", client.read().text());
      }
      assertEquals(1, backend.connections.get());
    }
  }
}
