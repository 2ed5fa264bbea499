package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.server.RequestOutcome;
import io.sluice.server.Stats;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that leave with their requests in flight, as a load generator does when its run ends (wrk -d2s against a
 * slow endpoint): queued, at the backend, and in the middle of their response; also while the backend is killed.
 * Each is a clean path: Sluice lets go of everything (no request waits or holds a backend slot afterwards), counts
 * them as {@code client_gone}, keeps serving, and logs no stack trace ({@link LogWatch} checks that for the class).
 * The backend is real uWSGI speaking HTTP ({@code --http-socket}, 2 processes).
 */
class ClientsLeavingIT {

  private static final int CLIENTS = 300;

  @TempDir
  static Path dir;
  private static WsgiServer uwsgi;
  private static RunningProxy sluice;

  @BeforeAll
  static void start() throws Exception {
    uwsgi = WsgiServer.uwsgiHttp(dir, 2, 100);
    sluice = RunningProxy.start("--backend", uwsgi.address(), "--limit", "8");
  }

  @AfterAll
  static void stop() throws Exception {
    if (sluice != null) {
      sluice.close();
    }
    if (uwsgi != null) {
      uwsgi.close();
    }
  }

  private static Stats stats() {
    return sluice.sluice().stats();
  }

  /** Opens a connection per request and sends it; the responses are not read. */
  private static List<Socket> send(String path, int n) throws IOException {
    List<Socket> sockets = new ArrayList<>();
    byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < n; i++) {
      Socket s = new Socket("127.0.0.1", sluice.port());
      s.getOutputStream().write(request);
      s.getOutputStream().flush();
      sockets.add(s);
    }
    return sockets;
  }

  /** Leaves: every other client resets its connection, the rest close it. */
  private static void leave(List<Socket> sockets) throws IOException {
    for (int i = 0; i < sockets.size(); i++) {
      Socket s = sockets.get(i);
      if (i % 2 == 0) {
        s.setSoLinger(true, 0);
      }
      s.close();
    }
  }

  /** Nothing waits, nothing is inside the backend, and every request received is accounted for. */
  private static void settled() throws Exception {
    eventually(() -> {
      int waiting = sluice.sluice().dispatcher().depth();
      int inflight = sluice.sluice().dispatcher().snapshot().backends().get(0).inflight();
      long finished = 0;
      for (RequestOutcome o : RequestOutcome.values()) {
        finished += stats().count(o);
      }
      return waiting == 0 && inflight == 0 && finished == stats().received() ? null
          : waiting + " waiting, " + inflight + " in flight, " + finished + " of " + stats().received() + " finished";
    });
  }

  private static void stillServes() throws Exception {
    eventually(() -> {
      var r = Http.get(sluice.uri("/?ms=1"));
      return r.statusCode() == 200 ? null : "status " + r.statusCode();
    });
  }

  @Test
  void clientsLeavingWhileQueuedOrAtTheBackendAreACleanPath() throws Exception {
    long goneBefore = stats().count(RequestOutcome.CLIENT_GONE);
    long servedBefore = stats().count(RequestOutcome.SERVED);
    List<Socket> sockets = send("/?ms=20", CLIENTS);
    eventually(() -> stats().count(RequestOutcome.SERVED) - servedBefore >= 20
        && sluice.sluice().dispatcher().depth() > 0 ? null : "not under way yet");

    leave(sockets);

    settled();
    assertTrue(stats().count(RequestOutcome.CLIENT_GONE) - goneBefore > 0);
    stillServes();
  }

  @Test
  void clientsLeavingInTheMiddleOfTheirResponseAreACleanPath() throws Exception {
    long goneBefore = stats().count(RequestOutcome.CLIENT_GONE);
    List<Socket> sockets = send("/stream?chunks=40&size=8192&ms=10", 40);
    // Each has the start of its response.
    for (Socket s : sockets) {
      s.setSoTimeout(60_000);
      InputStream in = s.getInputStream();
      assertTrue(in.read(new byte[1024]) > 0);
    }

    leave(sockets);

    settled();
    assertTrue(stats().count(RequestOutcome.CLIENT_GONE) - goneBefore > 0);
    stillServes();
  }

  @Test
  void clientsLeavingWhileTheBackendIsKilledAreACleanPath() throws Exception {
    long servedBefore = stats().count(RequestOutcome.SERVED);
    List<Socket> sockets = send("/?ms=50", CLIENTS);
    eventually(() -> stats().count(RequestOutcome.SERVED) - servedBefore >= 10 ? null : "not under way yet");

    uwsgi.kill();
    leave(sockets);
    uwsgi = uwsgi.startAgain();

    settled();
    stillServes();
    assertEquals(0, sluice.sluice().dispatcher().depth());
  }
}
