package io.sluice.ops;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged Sluice ({@code target/sluice.jar}) in its own process, as an operator starts it: every address a Unix
 * socket in {@code dir} (no port to choose), one HTTP backend answering {@code 200 ok} on {@code app.sock}, the admin
 * API on {@code admin.sock}. {@link #close} sends SIGTERM, as systemd and Kubernetes do, and waits for the exit.
 */
final class PackagedSluice implements AutoCloseable {

  private static final byte[] BACKEND_RESPONSE =
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n".getBytes(StandardCharsets.US_ASCII);

  private final Process process;
  private final Path dir;
  private final Path log;
  private final ServerSocketChannel backend;
  private final Thread backendThread;

  private PackagedSluice(Process process, Path dir, Path log, ServerSocketChannel backend, Thread backendThread) {
    this.process = process;
    this.dir = dir;
    this.log = log;
    this.backend = backend;
    this.backendThread = backendThread;
  }

  /** The shaded jar this module's {@code package} phase built. */
  static Path jar() {
    Path jar = Path.of(System.getProperty("basedir", "."), "target", "sluice.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: run the integration tests through mvn verify");
    }
    return jar;
  }

  /** @param extra more options, after the addresses (so {@code --config} settings other than these apply) */
  static PackagedSluice start(Path dir, String... extra) throws Exception {
    return start(dir, List.of(), extra);
  }

  /** The JVM started with {@code javaOptions} and Sluice with {@code extraArgs} added after the addresses. */
  static PackagedSluice start(Path dir, List<String> javaOptions, String... extraArgs) throws Exception {
    ServerSocketChannel backend = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    backend.bind(UnixDomainSocketAddress.of(dir.resolve("app.sock")));
    Thread backendThread = new Thread(() -> serve(backend), "ops-test-backend");
    backendThread.setDaemon(true);
    backendThread.start();

    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(javaOptions);
    command.addAll(List.of("-jar", jar().toString(),
        "--listen", "unix:" + dir.resolve("front.sock"),
        "--backend", "app=unix:" + dir.resolve("app.sock"),
        "--admin", "unix:" + dir.resolve("admin.sock"),
        "--queue-timeout", "5s"));
    command.addAll(List.of(extraArgs));
    Path log = dir.resolve("sluice.log");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("SLUICE_ADMIN_TOKEN");
    PackagedSluice sluice = new PackagedSluice(pb.start(), dir, log, backend, backendThread);
    try {
      sluice.awaitAdmin();
    } catch (Exception | AssertionError e) {
      sluice.close();
      throw e;
    }
    return sluice;
  }

  private void awaitAdmin() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new AssertionError("Sluice exited with status " + process.exitValue() + ":\n" + log());
      }
      if (Files.exists(dir.resolve("admin.sock"))) {
        try {
          if (admin("/healthz").status() == 200) {
            return;
          }
        } catch (IOException notYet) {
          // The socket file exists a moment before the listener accepts.
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("Sluice's admin listener did not answer within 30 s:\n" + log());
  }

  /** A GET through the proxy's listener. */
  Response front(String path) throws IOException {
    return exchange(dir.resolve("front.sock"), path);
  }

  /**
   * A GET on the admin listener (without a token a client on its Unix socket is local).
   *
   * @param headers more request header lines, such as {@code Authorization: Bearer TOKEN}
   */
  Response admin(String path, String... headers) throws IOException {
    return exchange(dir.resolve("admin.sock"), path, headers);
  }

  /** The Java process's command line, as {@code ps} shows it. */
  String commandLine() {
    return process.info().commandLine().orElse("");
  }

  String log() throws IOException {
    return Files.readString(log);
  }

  boolean alive() {
    return process.isAlive();
  }

  private static Response exchange(Path socket, String path, String... headers) throws IOException {
    StringBuilder head = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (String h : headers) {
      head.append(h).append("\r\n");
    }
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      ch.write(ByteBuffer.wrap(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII)));
      return Response.parse(readAll(ch));
    }
  }

  /** An HTTP/1.1 response read to the connection's end; a chunked body is put back together. */
  record Response(int status, String head, String body) {

    static Response parse(byte[] raw) {
      String text = new String(raw, StandardCharsets.ISO_8859_1);
      int end = text.indexOf("\r\n\r\n");
      if (!text.startsWith("HTTP/1.1 ") || end < 0) {
        throw new AssertionError("not an HTTP/1.1 response: " + text);
      }
      String head = text.substring(0, end);
      int at = end + 4;
      java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
      if (head.toLowerCase(java.util.Locale.ROOT).contains("\r\ntransfer-encoding: chunked")) {
        while (true) {
          int eol = text.indexOf("\r\n", at);
          int size = Integer.parseInt(text.substring(at, eol).split(";")[0].trim(), 16);
          if (size == 0) {
            break;
          }
          body.write(raw, eol + 2, size);
          at = eol + 2 + size + 2;
        }
      } else {
        body.write(raw, at, raw.length - at);
      }
      return new Response(Integer.parseInt(text.substring(9, 12)), head,
          new String(body.toByteArray(), StandardCharsets.UTF_8));
    }
  }

  private static byte[] readAll(SocketChannel ch) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
    while (ch.read(buf) >= 0) {
      buf.flip();
      out.write(buf.array(), 0, buf.limit());
      buf.clear();
    }
    return out.toByteArray();
  }

  /** Answers every request {@code 200 ok} and closes, until the channel is closed. */
  private static void serve(ServerSocketChannel server) {
    while (server.isOpen()) {
      try (SocketChannel ch = server.accept()) {
        ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
        StringBuilder head = new StringBuilder();
        while (head.indexOf("\r\n\r\n") < 0 && ch.read(buf) >= 0) {
          buf.flip();
          head.append(StandardCharsets.US_ASCII.decode(buf));
          buf.clear();
        }
        ch.write(ByteBuffer.wrap(BACKEND_RESPONSE));
      } catch (IOException closedOrGone) {
        // Closed by close(), or a connection Sluice gave up: either way nothing to answer.
      }
    }
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
    backend.close();
    backendThread.join(5000);
  }
}
