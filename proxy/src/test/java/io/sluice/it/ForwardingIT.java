package io.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.Sluice;
import io.sluice.config.Address;
import io.sluice.config.CommandLine;
import io.sluice.config.Invocation;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the app behind Sluice is told about a request and its client, read from the WSGI environ of real gunicorn
 * (HTTP) and real uWSGI (the uwsgi protocol): header hygiene, trusted proxies, the PROXY protocol and
 * {@code X-Request-Start}. Requests are written byte for byte on a plain socket ({@link UwsgiProtocolIT.Wire}), so
 * nothing between the test and Sluice adds or normalises a header.
 */
class ForwardingIT {

  /** What a client (or a balancer in front of Sluice) claims about the request. */
  private static final String CLAIMS = "X-Forwarded-For: 203.0.113.7\r\n"
      + "X-Forwarded-Proto: https\r\n"
      + "X-Forwarded-Host: www.example.com\r\n"
      + "Forwarded: for=203.0.113.7;proto=https\r\n"
      + "X-Request-Start: t=1000000000.000\r\n";

  @TempDir
  static Path dir;
  private static WsgiServer gunicorn;
  private static WsgiServer uwsgi;

  @BeforeAll
  static void startBackends() throws Exception {
    gunicorn = WsgiServer.gunicorn(dir, 2, 64);
    uwsgi = WsgiServer.uwsgiProtocol(dir, 2, 100);
  }

  @AfterAll
  static void stopBackends() throws Exception {
    if (gunicorn != null) {
      gunicorn.close();
    }
    if (uwsgi != null) {
      uwsgi.close();
    }
  }

  private static JsonObject environ(int port, String request) throws IOException {
    try (UwsgiProtocolIT.Wire wire = new UwsgiProtocolIT.Wire(port)) {
      wire.send(request);
      return wire.read().json();
    }
  }

  // ---- header hygiene and untrusted clients

  @Test
  void anUntrustedClientCannotSpeakForTheApp() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address())) {
      long sentAt = System.currentTimeMillis();
      JsonObject env = environ(sluice.port(), "GET /environ/environ HTTP/1.1\r\n"
          + "Host: app.example\r\n"
          + "SCRIPT_NAME: /environ\r\n"
          + "X_Forwarded_Proto: https\r\n"
          + CLAIMS
          + "\r\n");
      assertEquals("", env.getString("SCRIPT_NAME"), "gunicorn reads a SCRIPT_NAME header as its SCRIPT_NAME");
      assertEquals("/environ/environ", env.getString("PATH_INFO"));
      assertEquals("http", env.getString("HTTP_X_FORWARDED_PROTO"), "gunicorn joins X_Forwarded_Proto into it");
      assertEquals("http", env.getString("wsgi.url_scheme"));
      assertEquals("127.0.0.1", env.getString("HTTP_X_FORWARDED_FOR"));
      assertNull(env.getString("HTTP_X_FORWARDED_HOST"));
      assertEquals("for=127.0.0.1;host=app.example;proto=http", env.getString("HTTP_FORWARDED"));
      long answeredAt = System.currentTimeMillis();
      String stamp = env.getString("HTTP_X_REQUEST_START");
      assertTrue(stamp.matches("t=\\d+\\.\\d{3}"), stamp);
      long stampedAt = Math.round(Double.parseDouble(stamp.substring(2)) * 1000);
      // Sluice's own stamp, taken when the request arrived: after it was sent, before its answer came back.
      assertTrue(stampedAt >= sentAt && stampedAt <= answeredAt, stamp + " not within [" + sentAt + ", " + answeredAt
          + "]");
      assertEquals("app.example", env.getString("HTTP_HOST"));
    }
  }

  @Test
  void aSecondHostIsRefusedWithTheReason() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address());
         UwsgiProtocolIT.Wire wire = new UwsgiProtocolIT.Wire(sluice.port())) {
      wire.send("POST /environ HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nContent-Length: 3\r\n\r\nabc");
      UwsgiProtocolIT.Wire.Response r = wire.read();
      assertEquals(400, r.status(), r.statusLine());
      assertEquals("400 Bad Request: the request has more than one Host header (expected: one)\n", r.text());
      assertEquals("close", r.header("Connection"));
    }
  }

  @Test
  void anAbsoluteFormTargetNamesTheHostForBothProtocols() throws Exception {
    String request = "GET http://a.example:8080/environ/abs?x=1 HTTP/1.1\r\nHost: client.example\r\n\r\n";
    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address())) {
      JsonObject env = environ(sluice.port(), request);
      assertEquals("a.example:8080", env.getString("HTTP_HOST"));
      assertEquals("/environ/abs", env.getString("PATH_INFO"));
      assertEquals("x=1", env.getString("QUERY_STRING"));
    }
    try (RunningProxy sluice = RunningProxy.start("--backend", uwsgi.address(), "--protocol", "uwsgi")) {
      JsonObject env = environ(sluice.port(), request);
      assertEquals("a.example:8080", env.getString("HTTP_HOST"));
      assertEquals("a.example", env.getString("SERVER_NAME"));
      assertEquals("/environ/abs?x=1", env.getString("REQUEST_URI"));
    }
  }

  // ---- trusted proxies

  @Test
  void aTrustedProxysChainAndSchemeReachGunicorn() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address(),
        "--trusted-proxy", "127.0.0.1/32")) {
      JsonObject env = environ(sluice.port(), "GET /environ HTTP/1.1\r\nHost: app.example\r\n" + CLAIMS
          + "SCRIPT_NAME: /environ\r\n"
          // Connection may not strip what a trusted proxy said, nor the Host.
          + "Connection: keep-alive, X-Forwarded-For, X-Forwarded-Proto, Forwarded, X-Request-Start, Host\r\n"
          + "\r\n");
      assertEquals("203.0.113.7, 127.0.0.1", env.getString("HTTP_X_FORWARDED_FOR"));
      assertEquals("https", env.getString("HTTP_X_FORWARDED_PROTO"));
      assertEquals("https", env.getString("wsgi.url_scheme"), "gunicorn follows X-Forwarded-Proto on a Unix socket");
      assertEquals("www.example.com", env.getString("HTTP_X_FORWARDED_HOST"));
      assertEquals("for=203.0.113.7;proto=https, for=127.0.0.1;host=app.example;proto=http",
          env.getString("HTTP_FORWARDED"));
      assertEquals("t=1000000000.000", env.getString("HTTP_X_REQUEST_START"));
      assertEquals("app.example", env.getString("HTTP_HOST"));
      assertEquals("", env.getString("SCRIPT_NAME"), "names with underscores are dropped from trusted peers too");
    }
  }

  @Test
  void aTrustedProxysSchemeIsTheSchemeUwsgiAppsSee() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", uwsgi.address(), "--protocol", "uwsgi",
        "--trusted-proxy", "127.0.0.0/8")) {
      JsonObject env = environ(sluice.port(), "GET /environ HTTP/1.1\r\nHost: app.example\r\n" + CLAIMS + "\r\n");
      assertEquals("https", env.getString("REQUEST_SCHEME"));
      assertEquals("on", env.getString("HTTPS"));
      assertEquals("https", env.getString("wsgi.url_scheme"));
      assertEquals("https", env.getString("HTTP_X_FORWARDED_PROTO"));
      assertEquals("203.0.113.7, 127.0.0.1", env.getString("HTTP_X_FORWARDED_FOR"));
      assertEquals("127.0.0.1", env.getString("REMOTE_ADDR"), "the peer: the trusted proxy");
      assertEquals("t=1000000000.000", env.getString("HTTP_X_REQUEST_START"));
    }
    try (RunningProxy sluice = RunningProxy.start("--backend", uwsgi.address(), "--protocol", "uwsgi",
        "--trusted-proxy", "10.0.0.0/8")) {
      JsonObject env = environ(sluice.port(), "GET /environ HTTP/1.1\r\nHost: app.example\r\n" + CLAIMS + "\r\n");
      assertEquals("http", env.getString("REQUEST_SCHEME"), "127.0.0.1 is not in 10.0.0.0/8");
      assertNull(env.getString("HTTPS"));
      assertEquals("http", env.getString("wsgi.url_scheme"));
      assertEquals("127.0.0.1", env.getString("HTTP_X_FORWARDED_FOR"));
    }
  }

  // ---- X-Request-Start

  @Test
  void xRequestStartIsWhenSluiceAcceptedTheRequestOverHttp() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address())) {
      assertStampsAcceptTime(sluice.port());
    }
  }

  @Test
  void xRequestStartIsWhenSluiceAcceptedTheRequestOverUwsgi() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", uwsgi.address(), "--protocol", "uwsgi")) {
      assertStampsAcceptTime(sluice.port());
    }
  }

  /**
   * The client's send time (before its first byte) and the app's receive time bound the moment Sluice accepted the
   * request; the stamp must lie between them, within the millisecond it is rounded down to. Two requests on one
   * connection, 30 ms apart: each is stamped when it arrives, not when the connection did.
   */
  private static void assertStampsAcceptTime(int port) throws Exception {
    try (UwsgiProtocolIT.Wire wire = new UwsgiProtocolIT.Wire(port)) {
      for (int i = 0; i < 2; i++) {
        if (i > 0) {
          Thread.sleep(30);
        }
        long sent = System.currentTimeMillis();
        wire.send("GET /environ HTTP/1.1\r\nHost: x\r\n\r\n");
        JsonObject env = wire.read().json();
        long stamp = stampMillis(env.getString("HTTP_X_REQUEST_START"));
        long received = (long) Math.floor(Double.parseDouble(env.getString("APP_RECEIVED_AT")) * 1000);
        assertTrue(sent <= stamp + 1, "stamped " + (sent - stamp) + " ms before the client sent the request");
        assertTrue(stamp <= received + 1, "stamped " + (stamp - received) + " ms after the app received the request");
      }
    }
  }

  @Test
  void aQueuedRequestIsStampedWhenItArrivedNotWhenItLeftTheQueue() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address(), "--limit", "1")) {
      CompletableFuture<java.net.http.HttpResponse<String>> slow = Http.getAsync(sluice.uri("/?ms=400"));
      Eventually.eventually(() -> sluice.sluice().dispatcher().snapshot().backends().get(0).inflight() == 1 ? null
          : "the slow request is not in the backend yet");
      long sent = System.currentTimeMillis();
      JsonObject env = environ(sluice.port(), "GET /environ HTTP/1.1\r\nHost: x\r\n\r\n");
      long stamp = stampMillis(env.getString("HTTP_X_REQUEST_START"));
      long received = (long) Math.floor(Double.parseDouble(env.getString("APP_RECEIVED_AT")) * 1000);
      assertTrue(sent <= stamp + 1, "stamped before it was sent");
      assertTrue(received - stamp >= 200, "waited in the queue behind a 400 ms request, but the app sees "
          + (received - stamp) + " ms between the stamp and its own clock");
      assertEquals(200, slow.get(30, TimeUnit.SECONDS).statusCode());
    }
  }

  @Test
  void requestStartOffSendsNoStampAndStillDropsAClientsOwn() throws Exception {
    try (Started sluice = start("listen: [\"127.0.0.1:0\"]\n"
        + "backends: [{name: app, address: \"" + gunicorn.address() + "\"}]\n"
        + "forwarding: {requestStart: false}\n")) {
      JsonObject env = environ(port(sluice), "GET /environ HTTP/1.1\r\nHost: x\r\n" + CLAIMS + "\r\n");
      assertNull(env.getString("HTTP_X_REQUEST_START"));
      assertEquals("127.0.0.1", env.getString("HTTP_X_FORWARDED_FOR"));
    }
  }

  private static long stampMillis(String stamp) {
    assertTrue(stamp != null && stamp.matches("t=[0-9]{10}\\.[0-9]{3}"), "X-Request-Start: " + stamp);
    return Long.parseLong(stamp.substring(2).replace(".", ""));
  }

  // ---- the PROXY protocol

  private static Started proxyProtocolSluice() throws Exception {
    return start("listen: [{address: \"127.0.0.1:0\", proxyProtocol: true}]\n"
        + "backends: [{name: app, address: \"" + uwsgi.address() + "\", protocol: uwsgi}]\n");
  }

  @Test
  void proxyProtocolV1GivesTheClientsAddress() throws Exception {
    try (Started sluice = proxyProtocolSluice()) {
      JsonObject env = environ(port(sluice), "PROXY TCP4 203.0.113.7 192.0.2.10 56324 443\r\n"
          + "GET /environ HTTP/1.1\r\nHost: app.example\r\nX-Forwarded-For: 198.51.100.1\r\n\r\n");
      assertClient(env, "203.0.113.7", "56324");
    }
  }

  @Test
  void proxyProtocolV2GivesTheClientsAddress() throws Exception {
    try (Started sluice = proxyProtocolSluice()) {
      JsonObject env = environ(port(sluice), v2(0x21, new byte[] {(byte) 203, 0, 113, 7}, new byte[] {(byte) 192, 0, 2,
          10}, 56324, 443) + "GET /environ HTTP/1.1\r\nHost: app.example\r\nX-Forwarded-For: 198.51.100.1\r\n\r\n");
      assertClient(env, "203.0.113.7", "56324");

      // LOCAL: the balancer's own health check; the connection's real addresses stand.
      JsonObject local = environ(port(sluice), v2(0x20, new byte[4], new byte[4], 0, 0)
          + "GET /environ HTTP/1.1\r\nHost: app.example\r\n\r\n");
      assertEquals("127.0.0.1", local.getString("REMOTE_ADDR"));
    }
  }

  private static void assertClient(JsonObject env, String ip, String port) {
    assertEquals(ip, env.getString("REMOTE_ADDR"));
    assertEquals(port, env.getString("REMOTE_PORT"));
    assertEquals("192.0.2.10", env.getString("SERVER_ADDR"), "the address the client connected to, at the balancer");
    assertEquals("443", env.getString("SERVER_PORT"));
    assertEquals(ip, env.getString("HTTP_X_FORWARDED_FOR"), "the client's own X-Forwarded-For is not believed");
    assertTrue(env.getString("HTTP_FORWARDED").startsWith("for=" + ip + ";"), env.getString("HTTP_FORWARDED"));
  }

  @Test
  void aConnectionWithoutAValidProxyHeaderIsClosedQuietly() throws Exception {
    List<LogRecord> logged = new ArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        synchronized (logged) {
          logged.add(r);
        }
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    Logger root = Logger.getLogger("");
    root.addHandler(capture);
    try (Started sluice = proxyProtocolSluice()) {
      for (String bad : List.of("GET /environ HTTP/1.1\r\nHost: x\r\n\r\n",
          "PROXY TCP4 203.0.113.7\r\nGET /environ HTTP/1.1\r\nHost: x\r\n\r\n",
          "PROXY TCP4 999.0.113.7 192.0.2.10 56324 443\r\nGET /environ HTTP/1.1\r\nHost: x\r\n\r\n")) {
        try (Socket s = new Socket("127.0.0.1", port(sluice))) {
          s.setSoTimeout(10_000);
          s.getOutputStream().write(bad.getBytes(StandardCharsets.ISO_8859_1));
          InputStream in = s.getInputStream();
          int first;
          try {
            first = in.read();
          } catch (IOException reset) {
            first = -1;
          }
          assertEquals(-1, first, "no answer, the connection closed, for " + bad.substring(0, 20));
        }
      }
      assertEquals(0, sluice.sluice().stats().received(), "nothing was taken for a request");
    } finally {
      root.removeHandler(capture);
    }
    synchronized (logged) {
      for (LogRecord r : logged) {
        assertNull(r.getThrown(), () -> "a stack trace for an expected event: " + r.getLevel() + " "
            + r.getLoggerName() + ": " + r.getMessage() + " " + r.getThrown());
        assertFalse(r.getLevel().intValue() >= Level.SEVERE.intValue(), () -> r.getLoggerName() + ": " + r.getMessage());
      }
    }
  }

  /** A PROXY protocol v2 header for TCP over IPv4 (command 0x21 PROXY, 0x20 LOCAL), as ISO-8859-1 characters. */
  private static String v2(int command, byte[] src, byte[] dst, int srcPort, int dstPort) {
    byte[] h = new byte[16 + 12];
    byte[] signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    System.arraycopy(signature, 0, h, 0, 12);
    h[12] = (byte) command;
    h[13] = 0x11; // AF_INET, STREAM
    h[14] = 0;
    h[15] = 12;
    System.arraycopy(src, 0, h, 16, 4);
    System.arraycopy(dst, 0, h, 20, 4);
    h[24] = (byte) (srcPort >> 8);
    h[25] = (byte) srcPort;
    h[26] = (byte) (dstPort >> 8);
    h[27] = (byte) dstPort;
    return new String(h, StandardCharsets.ISO_8859_1);
  }

  // ---- Sluice from a configuration file, for the settings that have no flag

  private static Started start(String yaml) throws Exception {
    Path file = Files.createTempFile(dir, "sluice", ".yaml");
    Files.writeString(file, yaml);
    Invocation.Run run = (Invocation.Run) CommandLine.parse(new String[] {"--config", file.toString(), "--admin",
        "off"}, Map.of());
    return new Started(Sluice.start(run.config()));
  }

  private static int port(Started started) {
    return ((Address.Tcp) started.sluice().listenAddresses().get(0)).port();
  }

  private record Started(Sluice sluice) implements AutoCloseable {
    @Override
    public void close() {
      sluice.stop(Duration.ofSeconds(2));
    }
  }
}
