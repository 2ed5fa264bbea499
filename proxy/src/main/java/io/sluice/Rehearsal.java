package io.sluice;

import io.sluice.config.Address;
import io.sluice.config.CommandLine;
import io.sluice.config.Invocation;
import io.sluice.log.LogFormat;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a Sluice through what its requests and its operators do — a backend on a Unix socket over HTTP and over the
 * uwsgi protocol, request bodies, the admin API, the metrics and the dashboard — so that a JVM started with
 * {@code -XX:ArchiveClassesAtExit} archives the classes they load (from Java 25 on, with {@code -XX:AOTCacheOutput},
 * also the method profiles of their code). The launcher builds that class archive once per jar and Java runtime
 * ({@code java -XX:ArchiveClassesAtExit=sluice.jsa -cp sluice.jar io.sluice.Rehearsal}) and starts Sluice with it:
 * the JVM maps those classes instead of reading, verifying and linking them from the jar, which halves the time to
 * listen and leaves more of the first seconds' CPU to requests; with the profiles, the JIT compiles the request path
 * at once instead of profiling it again first.
 *
 * <p>Everything listens on loopback or in a fresh temporary directory and is closed before the JVM exits. Exit status
 * 0 when every request got its answer, 1 (one line on standard error) otherwise.
 */
public final class Rehearsal {

  /** Requests through each of the two Sluices. */
  static final int REQUESTS = 200;
  /** What the rehearsal reads of the admin API: every kind of resource it serves. */
  static final List<String> ADMIN_PATHS = List.of("/api/v1/status", "/api/v1/limits", "/api/v1/history", "/metrics",
      "/healthz", "/");
  private static final int CONCURRENCY = 16;
  private static final long TIMEOUT_SECONDS = 30;

  private Rehearsal() {
  }

  public static void main(String[] args) {
    // What the sluice command runs first, so that its classes are in the archive as well.
    LogFormat.setUp();
    CommandLine.usage();
    Main.version();
    try {
      int answered = run();
      System.out.println("rehearsal: " + answered + " requests answered");
      System.exit(0);
    } catch (Exception e) {
      System.err.println("rehearsal: " + e);
      System.exit(1);
    }
  }

  /** Runs the rehearsal; returns how many requests got a 2xx answer (every one must). */
  static int run() throws Exception {
    Path dir = Files.createTempDirectory("sluice-rehearsal-");
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1));
    HttpClient client = vertx.createHttpClient();
    try {
      Path http = dir.resolve("http.sock");
      Path uwsgi = dir.resolve("uwsgi.sock");
      await(vertx.createHttpServer()
          .requestHandler(req -> req.body().onSuccess(body -> req.response().end("ok " + body.length() + "\n")))
          .listen(SocketAddress.domainSocketAddress(http.toString())));
      await(vertx.createNetServer().connectHandler(Rehearsal::answerUwsgi)
          .listen(SocketAddress.domainSocketAddress(uwsgi.toString())));
      return through(client, http, "http", true) + through(client, uwsgi, "uwsgi", false);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  /** A Sluice in front of {@code backend}: GETs and POSTs through it, then (with {@code admin}) its admin API. */
  private static int through(HttpClient client, Path backend, String protocol, boolean admin) throws Exception {
    Invocation.Run run = (Invocation.Run) CommandLine.parse(new String[] {"--listen", "127.0.0.1:0", "--admin",
        admin ? "127.0.0.1:0" : "off", "--backend", "app=unix:" + backend, "--protocol", protocol}, Map.of());
    Sluice sluice = Sluice.start(run.config());
    try {
      int port = ((Address.Tcp) sluice.listenAddresses().get(0)).port();
      int answered = 0;
      Buffer body = Buffer.buffer(new byte[64 * 1024]);
      for (int sent = 0; sent < REQUESTS; sent += CONCURRENCY) {
        List<Future<HttpClientResponse>> batch = new ArrayList<>();
        for (int i = 0; i < Math.min(CONCURRENCY, REQUESTS - sent); i++) {
          batch.add(i % 4 == 0 ? send(client, HttpMethod.POST, port, "/upload", body)
              : send(client, HttpMethod.GET, port, "/?n=" + (sent + i), null));
        }
        for (Future<HttpClientResponse> f : batch) {
          answered += ok(await(f), protocol);
        }
      }
      if (admin) {
        int adminPort = ((Address.Tcp) sluice.adminAddress().orElseThrow()).port();
        for (String path : ADMIN_PATHS) {
          answered += ok(await(send(client, HttpMethod.GET, adminPort, path, null)), "admin " + path);
        }
      }
      return answered;
    } finally {
      sluice.stop(Duration.ofSeconds(1));
    }
  }

  private static Future<HttpClientResponse> send(HttpClient client, HttpMethod method, int port, String uri,
      Buffer body) {
    return client.request(method, port, "127.0.0.1", uri)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().map(b -> resp));
  }

  private static int ok(HttpClientResponse resp, String what) {
    if (resp.statusCode() / 100 != 2) {
      throw new IllegalStateException(what + ": " + resp.request().getURI() + " answered " + resp.statusCode());
    }
    return 1;
  }

  /**
   * A uwsgi backend as uWSGI is one: reads the packet header (modifier1, the size of the variables little-endian,
   * modifier2), the variables and a body of CONTENT_LENGTH, answers raw HTTP and closes.
   */
  private static void answerUwsgi(NetSocket socket) {
    Buffer in = Buffer.buffer();
    socket.handler(chunk -> {
      in.appendBuffer(chunk);
      if (in.length() < 4) {
        return;
      }
      int size = in.getUnsignedShortLE(1);
      if (in.length() < 4 + size || in.length() < 4 + size + contentLength(in, size)) {
        return;
      }
      socket.handler(null);
      socket.end(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"));
    });
  }

  /** CONTENT_LENGTH among the uwsgi variables (2-byte little-endian length, then the bytes, for each key and value). */
  private static int contentLength(Buffer packet, int size) {
    int at = 4;
    while (at + 2 <= 4 + size) {
      int keyLength = packet.getUnsignedShortLE(at);
      String key = packet.getString(at + 2, at + 2 + keyLength);
      at += 2 + keyLength;
      int valueLength = packet.getUnsignedShortLE(at);
      String value = packet.getString(at + 2, at + 2 + valueLength);
      at += 2 + valueLength;
      if (key.equals("CONTENT_LENGTH") && !value.isEmpty()) {
        return Integer.parseInt(value);
      }
    }
    return 0;
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }
}
