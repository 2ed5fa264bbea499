package io.sluice.demo;

import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for a uWSGI application server with uWSGI's defaults, for {@code sluice demo}: an HTTP/1.1 server on
 * a Unix socket with a fixed listen backlog and a few blocking workers, each handling one request per connection
 * like a prefork worker. It exists to show what a full backlog does to clients: once {@code backlog + 1}
 * connections wait in the kernel queue, a non-blocking connect fails at once with EAGAIN, which nginx turns into
 * a 502.
 *
 * <p>Each worker loops: block in {@code accept()}, read the request head and then the body when
 * {@code Content-Length} says there is one, sleep for the configured work time, answer {@code 200 OK} with
 * {@code Connection: close}, close. A malformed request gets {@code 400}, a {@code Transfer-Encoding} body
 * {@code 411} (a prefork worker needs the length up front). Like uWSGI without {@code harakiri}, a client that
 * connects and never sends holds its worker until it goes away.
 *
 * <p>Threads: the workers are this server's own daemon platform threads, named {@code sluice-demo-worker-N}; they
 * block, and never touch an event loop. {@link #close()} may be called from any thread, more than once.
 */
public final class DemoBackend implements Closeable {

  /** uWSGI's default {@code --listen}. */
  public static final int DEFAULT_BACKLOG = 100;
  /** Two slow workers make the spike visible on any machine. */
  public static final int DEFAULT_WORKERS = 2;
  public static final Duration DEFAULT_WORK = Duration.ofMillis(5);

  // uWSGI's --buffer-size default is 4 KiB; a little more leaves room for curl's and Sluice's forwarding headers.
  static final int MAX_HEAD = 8192;
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  private final Path path;
  private final int backlog;
  private final Duration work;
  private final ServerSocketChannel server;
  private final List<Thread> workers = new ArrayList<>();
  private final AtomicLong served = new AtomicLong();
  private volatile boolean closed;

  private DemoBackend(Path path, int backlog, Duration work, ServerSocketChannel server) {
    this.path = path;
    this.backlog = backlog;
    this.work = work;
    this.server = server;
  }

  /** Starts a backend with uWSGI's defaults: backlog 100, 2 workers, 5 ms of work per request. */
  public static DemoBackend start(Path socket) throws IOException {
    return start(socket, DEFAULT_BACKLOG, DEFAULT_WORKERS, DEFAULT_WORK);
  }

  /**
   * Binds {@code socket} with a listen backlog of {@code backlog} and starts {@code workers} threads. A socket file
   * left at the path by an earlier run is removed first; any other kind of file there is an error.
   *
   * @throws IllegalArgumentException when a value is out of range, or {@code backlog} is above
   *                                  {@code net.core.somaxconn} (the kernel would silently lower it)
   * @throws IOException              when the path cannot be bound
   */
  public static DemoBackend start(Path socket, int backlog, int workers, Duration work) throws IOException {
    Objects.requireNonNull(socket, "socket");
    Objects.requireNonNull(work, "work");
    if (backlog < 1) {
      throw new IllegalArgumentException("backlog: " + backlog + " (expected: >= 1)");
    }
    if (workers < 1) {
      throw new IllegalArgumentException("workers: " + workers + " (expected: >= 1)");
    }
    if (work.isNegative()) {
      throw new IllegalArgumentException("work: " + work + " (expected: >= 0)");
    }
    int somaxconn = somaxconn();
    if (somaxconn > 0 && backlog > somaxconn) {
      throw new IllegalArgumentException("backlog: " + backlog + " is above net.core.somaxconn (" + somaxconn
          + "); raise it with sysctl -w net.core.somaxconn=" + backlog + " or use a smaller backlog");
    }
    removeStaleSocket(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(socket), backlog);
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    DemoBackend backend = new DemoBackend(socket, backlog, work, server);
    for (int i = 1; i <= workers; i++) {
      int id = i;
      Thread t = new Thread(() -> backend.serve(id), "sluice-demo-worker-" + id);
      t.setDaemon(true);
      backend.workers.add(t);
    }
    backend.workers.forEach(Thread::start);
    return backend;
  }

  /** The socket's path. */
  public Path path() {
    return path;
  }

  /** The listen backlog the socket was bound with. */
  public int backlog() {
    return backlog;
  }

  /** How many worker threads serve the socket. */
  public int workers() {
    return workers.size();
  }

  /** How long each request keeps its worker busy. */
  public Duration work() {
    return work;
  }

  /** How many requests were answered {@code 200 OK} so far. */
  public long served() {
    return served.get();
  }

  /**
   * Stops accepting, stops the workers (a request in progress is abandoned and its connection closed), waits up to
   * a few seconds for them to end, and deletes the socket file. Connections still in the kernel queue are closed
   * with it.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    // Closing the channel wakes the worker blocked in accept(); the interrupt stops the ones working or reading.
    server.close();
    workers.forEach(Thread::interrupt);
    for (Thread t : workers) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    Files.deleteIfExists(path);
  }

  private void serve(int worker) {
    while (!closed) {
      SocketChannel client;
      try {
        client = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        // EMFILE and the like: the connection stays queued, so wait for descriptors to free up instead of spinning.
        if (!pause()) {
          return;
        }
        continue;
      }
      try (client) {
        handle(client, worker);
      } catch (InterruptedException e) {
        return;
      } catch (IOException e) {
        // The client went away or reset; there is nobody left to answer.
      }
    }
  }

  private static boolean pause() {
    try {
      Thread.sleep(10);
      return true;
    } catch (InterruptedException e) {
      return false;
    }
  }

  private void handle(SocketChannel client, int worker) throws IOException, InterruptedException {
    ByteBuffer in = ByteBuffer.allocate(MAX_HEAD);
    int headEnd;
    while ((headEnd = headEnd(in)) < 0) {
      if (!in.hasRemaining()) {
        respond(client, 400, "Bad Request", "request head too large\n", false);
        return;
      }
      if (client.read(in) < 0) {
        return;
      }
    }
    RequestHead head = RequestHead.parse(new String(in.array(), 0, headEnd, StandardCharsets.ISO_8859_1));
    if (head.error() != null) {
      respond(client, 400, "Bad Request", head.error() + "\n", false);
      return;
    }
    if (head.chunked()) {
      respond(client, 411, "Length Required", "send a Content-Length\n", false);
      return;
    }
    long bodyLeft = head.contentLength() - (in.position() - (headEnd + 4));
    in.clear();
    while (bodyLeft > 0) {
      in.limit((int) Math.min(in.capacity(), bodyLeft));
      int n = client.read(in);
      if (n < 0) {
        return;
      }
      bodyLeft -= n;
      in.clear();
    }
    if (!work.isZero()) {
      Thread.sleep(work.toMillis(), work.toNanosPart() % 1_000_000);
    }
    respond(client, 200, "OK", "hello from demo worker " + worker + "\n", head.method().equals("HEAD"));
    served.incrementAndGet();
  }

  /** The index of the blank line's {@code \r\n\r\n} in what was read so far, or -1. */
  private static int headEnd(ByteBuffer in) {
    byte[] a = in.array();
    for (int i = 0; i + 3 < in.position(); i++) {
      if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static void respond(SocketChannel client, int status, String reason, String body, boolean headOnly)
      throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\n"
        + "Content-Length: " + b.length + "\r\n"
        + "Connection: close\r\n\r\n";
    ByteBuffer out = ByteBuffer.allocate(head.length() + (headOnly ? 0 : b.length));
    out.put(head.getBytes(StandardCharsets.ISO_8859_1));
    if (!headOnly) {
      out.put(b);
    }
    out.flip();
    while (out.hasRemaining()) {
      client.write(out);
    }
  }

  private static void removeStaleSocket(Path socket) throws IOException {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new IOException(socket + " exists and is not a socket; not removing it");
    }
    Files.delete(socket);
  }

  /** {@code net.core.somaxconn}, or -1 where it cannot be read (then the kernel's cap goes unchecked). */
  private static int somaxconn() {
    try {
      // Not Files.readString: JDK 17 trusts the zero size procfs reports and returns only the first byte.
      List<String> lines = Files.readAllLines(Path.of("/proc/sys/net/core/somaxconn"));
      return lines.isEmpty() ? -1 : Integer.parseInt(lines.get(0).trim());
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  /** What the worker needs from a request head; {@code error} is set when it is malformed. */
  record RequestHead(String method, long contentLength, boolean chunked, String error) {

    private static RequestHead bad(String error) {
      return new RequestHead("", 0, false, error);
    }

    static RequestHead parse(String head) {
      String[] lines = head.split("\r\n", -1);
      String[] requestLine = lines[0].split(" ", -1);
      if (requestLine.length != 3 || !isToken(requestLine[0]) || requestLine[1].isEmpty()
          || !(requestLine[2].equals("HTTP/1.1") || requestLine[2].equals("HTTP/1.0"))) {
        return bad("malformed request line");
      }
      long contentLength = 0;
      boolean seenLength = false;
      boolean chunked = false;
      for (int i = 1; i < lines.length; i++) {
        String line = lines[i];
        int colon = line.indexOf(':');
        if (colon <= 0 || !isToken(line.substring(0, colon))) {
          return bad("malformed header line");
        }
        String name = line.substring(0, colon);
        String value = line.substring(colon + 1).trim();
        if (name.equalsIgnoreCase("Content-Length")) {
          long n = parseLength(value);
          // Two different lengths are the classic request-smuggling shape; refuse rather than pick one.
          if (n < 0 || (seenLength && n != contentLength)) {
            return bad("invalid Content-Length");
          }
          contentLength = n;
          seenLength = true;
        } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
          chunked = true;
        }
      }
      return new RequestHead(requestLine[0], contentLength, chunked, null);
    }

    private static long parseLength(String value) {
      if (value.isEmpty() || value.length() > 18) {
        return -1;
      }
      for (int i = 0; i < value.length(); i++) {
        if (value.charAt(i) < '0' || value.charAt(i) > '9') {
          return -1;
        }
      }
      return Long.parseLong(value);
    }

    private static boolean isToken(String s) {
      if (s.isEmpty()) {
        return false;
      }
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
        if (!ok) {
          return false;
        }
      }
      return true;
    }
  }
}
