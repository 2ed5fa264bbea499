package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.sluice.server.RequestOutcome;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sluice with {@code --protocol uwsgi} in front of real uWSGI speaking its binary protocol on a Unix socket
 * ({@code --socket}, 2 processes, listen 100): where nginx's {@code uwsgi_pass} used to be. The app,
 * {@code testapp.py}, reports what it received (its environ, a body's checksum) and answers responses of every shape.
 *
 * <p>Tests that depend on the bytes on the wire (status lines, repeated headers, keep-alive) use {@link Wire}, a plain
 * socket, so the JDK client can neither hide nor normalise them.
 */
class UwsgiProtocolIT {

  private static final int SPIKE = 3000;
  private static final String BLOCK_SIZE_ERROR = "invalid request block size";

  @TempDir
  static Path dir;
  private static WsgiServer uwsgi;
  private static RunningProxy sluice;
  private static Vertx clients;

  @BeforeAll
  static void start() throws Exception {
    uwsgi = WsgiServer.uwsgiProtocol(dir, 2, 100);
    sluice = RunningProxy.start("--backend", uwsgi.address(), "--protocol", "uwsgi");
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (clients != null) {
      clients.close().await();
    }
    if (sluice != null) {
      sluice.close();
    }
    if (uwsgi != null) {
      uwsgi.close();
    }
  }

  // ---- bodies

  @Test
  void fiveMegabyteBodiesArriveIntactWithPostAndPut() throws Exception {
    byte[] five = Http.random(5 * 1024 * 1024, 11);
    JsonObject post = json(Http.post(sluice.uri("/echo"), five));
    assertEquals(five.length, post.getInteger("length"));
    assertEquals(Http.sha256(five), post.getString("sha256"));
    assertEquals(Integer.toString(five.length), post.getString("contentLength"));

    HttpResponse<String> put = Http.CLIENT.send(HttpRequest.newBuilder(sluice.uri("/echo"))
        .timeout(Duration.ofSeconds(60)).PUT(HttpRequest.BodyPublishers.ofByteArray(five)).build(),
        HttpResponse.BodyHandlers.ofString());
    JsonObject p = json(put);
    assertEquals("PUT", p.getString("method"));
    assertEquals(Http.sha256(five), p.getString("sha256"));
  }

  @Test
  void aChunkedUploadArrivesWithItsContentLength() throws Exception {
    byte[] body = Http.random(3 * 1024 * 1024 + 7, 12);
    JsonObject echo = json(Http.postChunked(sluice.uri("/echo"), body));
    assertEquals(Http.sha256(body), echo.getString("sha256"));
    assertEquals(Integer.toString(body.length), echo.getString("contentLength"),
        "uwsgi has no chunked framing: the backend must be told the length");

    // The same on the wire, with chunk extensions and a trailer, on one keep-alive connection twice.
    try (Wire wire = new Wire(sluice.port())) {
      for (int i = 0; i < 2; i++) {
        wire.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
            + "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n");
        JsonObject doc = wire.read().json();
        assertEquals(Http.sha256("hello, world".getBytes(StandardCharsets.US_ASCII)), doc.getString("sha256"));
        assertEquals("12", doc.getString("contentLength"));
        assertEquals("text/plain", doc.getString("contentType"));
      }
    }
  }

  @Test
  void putAndDeleteWithAndWithoutABody() throws Exception {
    try (Wire wire = new Wire(sluice.port())) {
      wire.send("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd");
      JsonObject put = wire.read().json();
      assertEquals("PUT", put.getString("method"));
      assertEquals("4", put.getString("contentLength"));
      assertEquals(Http.sha256("abcd".getBytes(StandardCharsets.US_ASCII)), put.getString("sha256"));

      wire.send("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
      JsonObject emptyPut = wire.read().json();
      assertEquals(0, emptyPut.getInteger("length"));
      assertEquals("0", emptyPut.getString("contentLength"));

      wire.send("DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n");
      JsonObject delete = wire.read().json();
      assertEquals("DELETE", delete.getString("method"));
      assertEquals(0, delete.getInteger("length"));
      assertEquals("", delete.getString("contentLength"), "a request without a body has no CONTENT_LENGTH");

      wire.send("DELETE /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n"
          + "{\"id\": [1,2]}");
      JsonObject deleteWithBody = wire.read().json();
      assertEquals("DELETE", deleteWithBody.getString("method"));
      assertEquals(13, deleteWithBody.getInteger("length"));
      assertEquals("13", deleteWithBody.getString("contentLength"));
      assertEquals("application/json", deleteWithBody.getString("contentType"));
    }
  }

  @Test
  void aBodyAnnouncedWithExpectContinueArrives() throws Exception {
    byte[] body = Http.random(200_000, 13);
    HttpResponse<String> r = Http.CLIENT.send(HttpRequest.newBuilder(sluice.uri("/echo"))
        .timeout(Duration.ofSeconds(60)).expectContinue(true).POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(Http.sha256(body), json(r).getString("sha256"));
  }

  // ---- what the application sees

  @Test
  void theQueryStringIsRawAndPathInfoIsDecoded() throws Exception {
    String query = "q=a%20b&amp=%26&plus=a+b&slash=%2F&utf=%C3%A9&empty=&flag";
    try (Wire wire = new Wire(sluice.port())) {
      wire.send("GET /environ/a%20b/%C3%A9/x+y?" + query + " HTTP/1.1\r\nHost: x\r\n\r\n");
      JsonObject env = wire.read().json();
      assertEquals(query, env.getString("QUERY_STRING"));
      assertEquals("/environ/a%20b/%C3%A9/x+y?" + query, env.getString("REQUEST_URI"));
      // PATH_INFO is decoded to bytes: "/environ/a b/é/x+y" in UTF-8 ('+' is a plus in a path).
      assertEquals(hex("/environ/a b/\u00e9/x+y".getBytes(StandardCharsets.UTF_8)), env.getString("PATH_INFO_HEX"));
      assertEquals("GET", env.getString("REQUEST_METHOD"));

      wire.send("GET /environ HTTP/1.1\r\nHost: x\r\n\r\n");
      JsonObject bare = wire.read().json();
      assertEquals("", bare.getString("QUERY_STRING"));
      assertEquals("/environ", bare.getString("PATH_INFO"));
    }
  }

  @Test
  void headersBecomeHttpVariablesAsUwsgiParamsSendsThem() throws Exception {
    try (Wire wire = new Wire(sluice.port())) {
      wire.send("POST /environ HTTP/1.1\r\n"
          + "Host: app.example:8443\r\n"
          + "Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
          + "Content-Length: 3\r\n"
          + "X-Custom-Thing: some value\r\n"
          + "X-Multi: one\r\n"
          + "Accept: text/html\r\n"
          + "X-Multi: two, three\r\n"
          + "Cookie: a=1\r\n"
          + "Cookie: b=2\r\n"
          + "X_Sneaky: underscores\r\n"
          + "Proxy: http://evil.example/\r\n"
          + "\r\na=b");
      JsonObject env = wire.read().json();
      assertEquals("app.example:8443", env.getString("HTTP_HOST"));
      assertEquals("application/x-www-form-urlencoded; charset=utf-8", env.getString("CONTENT_TYPE"));
      assertEquals("3", env.getString("CONTENT_LENGTH"));
      assertEquals("some value", env.getString("HTTP_X_CUSTOM_THING"));
      assertEquals("one, two, three", env.getString("HTTP_X_MULTI"), "repeated headers are joined in order");
      assertEquals("a=1; b=2", env.getString("HTTP_COOKIE"), "cookies are joined as nginx joins them");
      assertEquals("text/html", env.getString("HTTP_ACCEPT"));
      assertNull(env.getString("HTTP_CONTENT_TYPE"), "CONTENT_TYPE is not repeated as HTTP_CONTENT_TYPE");
      assertNull(env.getString("HTTP_CONTENT_LENGTH"));
      assertNull(env.getString("HTTP_X_SNEAKY"), "a header name with underscores is dropped, as nginx drops it");
      assertNull(env.getString("HTTP_PROXY"), "httpoxy: Proxy is never forwarded");
    }
  }

  @Test
  void connectionVariablesAndForwardingHeaders() throws Exception {
    try (Wire wire = new Wire(sluice.port())) {
      wire.send("GET /environ HTTP/1.1\r\n"
          + "Host: app.example:8443\r\n"
          + "X-Forwarded-For: 203.0.113.9\r\n"
          + "X-Forwarded-Proto: https\r\n"
          + "X-Forwarded-SSL: on\r\n"
          + "\r\n");
      JsonObject env = wire.read().json();
      assertEquals("127.0.0.1", env.getString("REMOTE_ADDR"));
      assertEquals(Integer.toString(wire.localPort()), env.getString("REMOTE_PORT"));
      assertEquals(Integer.toString(sluice.port()), env.getString("SERVER_PORT"), "the port the client connected to");
      assertEquals("app.example", env.getString("SERVER_NAME"), "the Host header without its port");
      assertEquals("127.0.0.1", env.getString("SERVER_ADDR"));
      assertEquals("HTTP/1.1", env.getString("SERVER_PROTOCOL"));
      assertEquals("http", env.getString("REQUEST_SCHEME"));
      assertEquals("127.0.0.1", env.getString("HTTP_X_FORWARDED_FOR"), "a client that is no trusted proxy names no one");
      assertEquals("http", env.getString("HTTP_X_FORWARDED_PROTO"), "a client cannot claim https");
      assertTrue(env.getString("HTTP_FORWARDED", "").contains("for=127.0.0.1"), env.encodePrettily());
      assertNull(env.getString("HTTP_X_FORWARDED_SSL"), "X-Forwarded-SSL from a client is not passed on");
      assertNull(env.getString("HTTPS"));
      assertEquals("http", env.getString("wsgi.url_scheme"));
    }
  }

  @Test
  void serverProtocolIsTheClientsVersion() throws Exception {
    try (Wire wire = new Wire(sluice.port())) {
      wire.send("GET /environ HTTP/1.0\r\nHost: x\r\n\r\n");
      assertEquals("HTTP/1.0", wire.read().json().getString("SERVER_PROTOCOL"));
    }
  }

  // ---- responses

  /**
   * Responses that fit Sluice's memory buffer (256 KiB), so the backend socket is never paused; eight-megabyte ones are
   * in {@link #eightMegabyteResponsesArriveWholeAtAnyClientSpeed}.
   */
  @Test
  void streamedResponsesArriveWholeAndGoOutChunked() throws Exception {
    HttpResponse<byte[]> streamed = Http.get(sluice.uri("/stream?chunks=20&size=10000&ms=20"));
    assertEquals(200, streamed.statusCode());
    assertArrayEquals(Http.pattern(200_000), streamed.body());

    try (Wire wire = new Wire(sluice.port())) {
      wire.send("GET /stream?chunks=4&size=3000&ms=10 HTTP/1.1\r\nHost: x\r\n\r\n");
      Wire.Response r = wire.read();
      assertEquals("chunked", r.header("Transfer-Encoding"), "without a length the response goes out chunked");
      assertNull(r.header("Content-Length"));
      assertArrayEquals(Http.pattern(12_000), r.body());
      wire.send("GET /big?n=200000 HTTP/1.1\r\nHost: x\r\n\r\n");
      Wire.Response sized = wire.read();
      assertEquals("200000", sized.header("Content-Length"));
      assertArrayEquals(Http.pattern(200_000), sized.body(), "the connection is still in step");
    }
  }

  /**
   * uWSGI closes the connection right after each response. A response larger than Sluice's memory buffer spills to a
   * file; when the disk lags, or the client is slower than the backend, Sluice pauses the backend socket until the
   * spool catches up. The response must still end with its last byte, not when the close was noticed.
   */
  @Test
  void eightMegabyteResponsesArriveWholeAtAnyClientSpeed() throws Exception {
    int size = 8 * 1024 * 1024;
    HttpResponse<byte[]> big = Http.get(sluice.uri("/big?n=" + size));
    assertEquals(200, big.statusCode());
    assertEquals(Integer.toString(size), big.headers().firstValue("Content-Length").orElse(null));
    assertArrayEquals(Http.pattern(size), big.body());
    HttpResponse<byte[]> streamed = Http.get(sluice.uri("/stream?chunks=128&size=65536"));
    assertEquals(200, streamed.statusCode());
    assertArrayEquals(Http.pattern(size), streamed.body());

    for (int round = 0; round < 5; round++) {
      try (Wire wire = new Wire(sluice.port(), 2)) {
        wire.send("GET /big?n=" + size + " HTTP/1.1\r\nHost: x\r\n\r\n");
        Wire.Response r = wire.read();
        assertEquals(200, r.status());
        assertEquals(size, r.body().length, "round " + round + ": a slow client, a response with a Content-Length");
        assertArrayEquals(Http.pattern(size), r.body());
      }
      try (Wire wire = new Wire(sluice.port(), 2)) {
        wire.send("GET /stream?chunks=128&size=65536 HTTP/1.1\r\nHost: x\r\n\r\n");
        Wire.Response r = wire.read();
        assertEquals(200, r.status());
        assertEquals(size, r.body().length, "round " + round + ": a slow client, a streamed response (uWSGI sends"
            + " it without a length: it ends when uWSGI closes)");
        assertArrayEquals(Http.pattern(size), r.body());
      }
    }
  }

  @Test
  void aStreamedResponseToAnHttp10ClientEndsWithTheConnection() throws Exception {
    try (Wire wire = new Wire(sluice.port())) {
      wire.send("GET /stream?chunks=3&size=5000 HTTP/1.0\r\nHost: x\r\n\r\n");
      Wire.Response r = wire.read();
      assertEquals(200, r.status());
      assertNull(r.header("Transfer-Encoding"), "an HTTP/1.0 client cannot read chunks");
      assertNull(r.header("Content-Length"), "streamed as it comes, not buffered whole for its length");
      assertEquals("close", r.header("Connection"));
      assertArrayEquals(Http.pattern(15_000), r.body(), "read to the end of the connection");
    }
  }

  @Test
  void headAnswersTheLengthWithoutTheBody() throws Exception {
    try (Wire wire = new Wire(sluice.port())) {
      wire.send("HEAD /big?n=100000 HTTP/1.1\r\nHost: x\r\n\r\n");
      Wire.Response head = wire.readHead();
      assertEquals(200, head.status());
      assertEquals("100000", head.header("Content-Length"));
      // Had any body byte followed the head, it would be read here as the next status line.
      wire.send("GET /big?n=10 HTTP/1.1\r\nHost: x\r\n\r\n");
      Wire.Response next = wire.read();
      assertEquals(200, next.status());
      assertArrayEquals(Http.pattern(10), next.body());
    }
  }

  @Test
  void statusesReasonPhrasesAndHeadersPassThrough() throws Exception {
    try (Wire wire = new Wire(sluice.port())) {
      for (int code : new int[] {201, 404, 418, 503}) {
        wire.send("GET /status?code=" + code + "&reason=Short+And+Stout HTTP/1.1\r\nHost: x\r\n\r\n");
        Wire.Response r = wire.read();
        assertEquals("HTTP/1.1 " + code + " Short And Stout", r.statusLine());
        assertEquals("yes", r.header("X-Test"));
        assertEquals(List.of("a=1; Path=/", "b=2; Path=/"), r.headers("Set-Cookie"), "never joined");
        assertEquals("status " + code + "\n", r.text());
      }
    }
  }

  @Test
  void noContentAndNotModifiedHaveNoBodyAndKeepTheConnection() throws Exception {
    try (Wire wire = new Wire(sluice.port())) {
      wire.send("GET /status?code=204&reason=No+Content HTTP/1.1\r\nHost: x\r\n\r\n");
      Wire.Response noContent = wire.readHead();
      assertEquals("HTTP/1.1 204 No Content", noContent.statusLine());
      assertNull(noContent.header("Content-Length"));
      assertNull(noContent.header("Transfer-Encoding"));
      assertEquals(List.of("a=1; Path=/", "b=2; Path=/"), noContent.headers("Set-Cookie"));

      wire.send("GET /status?code=304&reason=Not+Modified HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"v1\"\r\n\r\n");
      Wire.Response notModified = wire.readHead();
      assertEquals("HTTP/1.1 304 Not Modified", notModified.statusLine());
      assertEquals("\"v1\"", notModified.header("ETag"));
      assertEquals("1234", notModified.header("Content-Length"), "the representation's length, passed on");
      assertNull(notModified.header("Transfer-Encoding"));

      wire.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assertEquals("ok\n", wire.read().text());
    }
  }

  // ---- uWSGI's buffer size

  @Test
  void aHeaderOverUwsgisBufferGets431WithoutReachingTheBackend() throws Exception {
    long refusedBefore = sluice.sluice().stats().count(RequestOutcome.REJECTED);
    try (Wire wire = new Wire(sluice.port())) {
      wire.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(5000) + "\r\n\r\n");
      Wire.Response refused = wire.read();
      assertEquals(431, refused.status());
      String message = refused.text();
      assertTrue(message.contains("--buffer-size") && message.contains("bufferSize"),
          "the message says what to raise: " + message);
      int size = varsSize(message);
      assertTrue(size > 5000, message);

      wire.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      Wire.Response next = wire.read();
      assertEquals(200, next.status());
      assertEquals("ok\n", next.text(), "the next request on the same connection is served");

      // The edge: uWSGI takes a variables block of exactly --buffer-size bytes and drops one byte more. The 431
      // told the size of the first block; the client's port, and so REMOTE_PORT, is the same on this connection.
      String fits = "b".repeat(5000 - (size - 4096));
      wire.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + fits + "\r\n\r\n");
      assertEquals(200, wire.read().status(), "4096 bytes of variables fit uWSGI's default buffer");
      wire.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + fits + "b\r\n\r\n");
      Wire.Response over = wire.read();
      assertEquals(431, over.status());
      assertEquals(4097, varsSize(over.text()));
    }
    assertEquals(refusedBefore + 2, sluice.sluice().stats().count(RequestOutcome.REJECTED));
    assertFalse(uwsgiLog(dir).contains(BLOCK_SIZE_ERROR),
        "uWSGI was sent a block it could not take:\n" + uwsgiLog(dir));

    // The log check can see a dropped request: what uWSGI logs when one does reach it.
    sendRawPacket(uwsgi.socket(), 4097);
    awaitLog(dir, BLOCK_SIZE_ERROR);
  }

  @Test
  void moreHeadersThanUwsgisMaxVarsGet431InsteadOfADroppedRequest() throws Exception {
    try (Wire wire = new Wire(sluice.port())) {
      // Host, the 4 headers Sluice sets (X-Forwarded-For, X-Forwarded-Proto, Forwarded, X-Request-Start) and 13
      // fixed variables: 110 headers of our own make 128, the most uWSGI reads with its default --max-vars 64.
      StringBuilder fits = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n");
      for (int i = 0; i < 110; i++) {
        fits.append("X-H").append(i).append(": v\r\n");
      }
      wire.send(fits + "\r\n");
      assertEquals(200, wire.read().status(), "128 variables reach the app");
      wire.send(fits + "X-One-More: v\r\n\r\n");
      Wire.Response refused = wire.read();
      assertEquals(431, refused.status());
      assertTrue(refused.text().contains("--max-vars") && refused.text().contains("maxVars"), refused.text());
      wire.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      assertEquals(200, wire.read().status(), "the next request on the same connection is served");
    }
    assertFalse(uwsgiLog(dir).contains("max vec size reached"), "uWSGI dropped a request:\n" + uwsgiLog(dir));
  }

  @Test
  void raisingBufferSizeOnBothSidesLetsTheBigHeaderThrough() throws Exception {
    Path bigDir = Files.createDirectories(dir.resolve("big-buffer"));
    WsgiServer roomy = WsgiServer.uwsgiProtocol(bigDir, 1, 100, "--buffer-size", "16384");
    try {
      // bufferSize has no command-line flag: it is set per backend in the config file.
      Path config = bigDir.resolve("sluice.yaml");
      Files.writeString(config, String.join("\n",
          "backends:",
          "  - name: roomy",
          "    address: " + roomy.address(),
          "    protocol: uwsgi",
          "    bufferSize: 16384",
          ""));
      String big = "v".repeat(12_000);
      try (RunningProxy proxy = RunningProxy.start("--config", config.toString());
           Wire wire = new Wire(proxy.port())) {
        wire.send("GET /environ HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n");
        Wire.Response r = wire.read();
        assertEquals(200, r.status(), r.text());
        assertEquals(big, r.json().getString("HTTP_X_BIG"));

        // What even the raised buffer cannot take is still refused, and the message names the new size.
        wire.send("GET /environ HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\nX-Bigger: " + big + "\r\n\r\n");
        Wire.Response refused = wire.read();
        assertEquals(431, refused.status(), refused.text());
        assertTrue(refused.text().contains("buffer size of 16384 bytes"), refused.text());

        wire.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals("ok\n", wire.read().text());
      }
      assertFalse(uwsgiLog(bigDir).contains(BLOCK_SIZE_ERROR), uwsgiLog(bigDir));
    } finally {
      roomy.close();
    }
  }

  // ---- the spike

  @Test
  void aSpikeFarOverUwsgisListenQueueIsServedWhole() throws Exception {
    Burst.Result through = Burst.fire(clients, new Address.Tcp("127.0.0.1", sluice.port()), "/?ms=5", SPIKE,
        Duration.ofSeconds(120)).await(180, TimeUnit.SECONDS);
    assertEquals(SPIKE, through.count(200), "through Sluice every request is answered 200: " + through);
    assertEquals(0, through.failed(), through.toString());
  }

  // ---- helpers

  private static JsonObject json(HttpResponse<String> r) {
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private static final Pattern VARS_SIZE = Pattern.compile("variables take (\\d+) bytes");

  /** The size of the variables block a 431 reports. */
  private static int varsSize(String message) {
    Matcher m = VARS_SIZE.matcher(message);
    assertTrue(m.find(), "no size in: " + message);
    return Integer.parseInt(m.group(1));
  }

  private static String uwsgiLog(Path in) throws IOException {
    return Files.readString(in.resolve("uwsgi.log"), StandardCharsets.ISO_8859_1);
  }

  private static void awaitLog(Path in, String text) throws Exception {
    eventually(() -> uwsgiLog(in).contains(text) ? null : "uWSGI never logged \"" + text + "\":\n" + uwsgiLog(in));
  }

  /** Sends uWSGI a packet header announcing {@code size} bytes of variables, then as many zero bytes. */
  private static void sendRawPacket(Path socket, int size) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ByteBuffer packet = ByteBuffer.allocate(4 + size).order(ByteOrder.LITTLE_ENDIAN);
      packet.put((byte) 0).putShort((short) size).put((byte) 0);
      packet.position(0);
      while (packet.hasRemaining()) {
        ch.write(packet);
      }
      ch.read(ByteBuffer.allocate(64));
    } catch (IOException e) {
      // uWSGI resets the connection once it has logged the error: that is the point.
    }
  }

  /**
   * One client connection on a plain socket: requests are written byte for byte and responses read as they come,
   * so keep-alive, status lines and repeated headers are seen as they are on the wire.
   */
  static final class Wire implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    Wire(int port) throws IOException {
      this(port, 0);
    }

    /** @param pauseMs a pause after each read of at most 64 KiB: a slow client (2 ms: about 30 MB/s at most) */
    Wire(int port, int pauseMs) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(30_000);
      InputStream raw = socket.getInputStream();
      in = new BufferedInputStream(pauseMs == 0 ? raw : new Slow(raw, pauseMs), 64 * 1024);
      out = socket.getOutputStream();
    }

    int localPort() {
      return socket.getLocalPort();
    }

    void send(String request) throws IOException {
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    /** A response with its body (framed by Content-Length, chunks, or the end of the connection). */
    Response read() throws IOException {
      Response head = readHead();
      byte[] body;
      String te = head.header("Transfer-Encoding");
      String cl = head.header("Content-Length");
      if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
        body = readChunked();
      } else if (cl != null) {
        body = in.readNBytes(Integer.parseInt(cl));
      } else {
        body = in.readAllBytes();
      }
      return new Response(head.statusLine(), head.headerList(), body);
    }

    /** The status line and headers only: for HEAD, 204 and 304, whose responses have no body. */
    Response readHead() throws IOException {
      String statusLine = line();
      List<Map.Entry<String, String>> headers = new ArrayList<>();
      for (String l = line(); !l.isEmpty(); l = line()) {
        int colon = l.indexOf(':');
        headers.add(Map.entry(l.substring(0, colon), l.substring(colon + 1).trim()));
      }
      return new Response(statusLine, headers, new byte[0]);
    }

    private byte[] readChunked() throws IOException {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      while (true) {
        String size = line();
        int semicolon = size.indexOf(';');
        int n = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
        if (n == 0) {
          while (!line().isEmpty()) {
            // trailers
          }
          return body.toByteArray();
        }
        body.write(in.readNBytes(n));
        assertEquals("", line(), "CRLF after a chunk");
      }
    }

    private String line() throws IOException {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) != '\n') {
        if (c < 0) {
          throw new IOException("connection closed in a line: \"" + b.toString(StandardCharsets.ISO_8859_1) + "\"");
        }
        b.write(c);
      }
      String s = b.toString(StandardCharsets.ISO_8859_1);
      return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }

    /** Reads at most 64 KiB at a time and pauses after each read. */
    private static final class Slow extends FilterInputStream {
      private final int pauseMs;

      Slow(InputStream in, int pauseMs) {
        super(in);
        this.pauseMs = pauseMs;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, Math.min(len, 64 * 1024));
        try {
          Thread.sleep(pauseMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
        return n;
      }
    }

    record Response(String statusLine, List<Map.Entry<String, String>> headerList, byte[] body) {

      int status() {
        return Integer.parseInt(statusLine.substring(9, 12));
      }

      String header(String name) {
        List<String> all = headers(name);
        return all.isEmpty() ? null : all.get(0);
      }

      List<String> headers(String name) {
        List<String> values = new ArrayList<>();
        for (Map.Entry<String, String> h : headerList) {
          if (h.getKey().equalsIgnoreCase(name)) {
            values.add(h.getValue());
          }
        }
        return values;
      }

      String text() {
        return new String(body, StandardCharsets.UTF_8);
      }

      JsonObject json() {
        assertEquals(200, status(), statusLine + "\n" + text());
        return new JsonObject(text());
      }
    }
  }
}
