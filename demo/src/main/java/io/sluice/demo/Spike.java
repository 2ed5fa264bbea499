package io.sluice.demo;

import io.sluice.cli.UsageException;
import io.sluice.config.Address;
import io.sluice.demo.OneShot.Outcome;
import io.sluice.demo.SpikeResult.Failure;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A traffic spike, for {@code sluice spike} and for tests: N one-shot requests fired at once, each on its own
 * connection ({@code GET PATH HTTP/1.1} with {@code Host} and {@code Connection: close}), every connect issued
 * immediately rather than ramped, each response read to its end. This is the load that makes a server with a
 * small listen backlog refuse connections, and that Sluice turns into a short wait.
 *
 * <p>Each request needs a file descriptor for as long as it is open, so N connections need N descriptors (and as
 * many again in a server on the same machine). Requests that cannot get one are counted as
 * {@link Failure#TOO_MANY_OPEN_FILES}; the report says how to raise the limit.
 *
 * <p>Threads: {@link #run(Vertx, Target, Options)} may be called from any thread; the connections are spread over
 * Vert.x's event loops when it is called from outside one, and all its callbacks, including the completion of the
 * returned future, run on event loops. {@link #run(String[], PrintStream)} blocks its caller.
 */
public final class Spike {

  /** Where the requests go: a TCP or Unix socket, the {@code Host} header and the request target. */
  public record Target(Address address, String host, String path) {

    /** What {@link #parse} accepts, for error messages. */
    public static final String FORMS = "http://HOST:PORT/path or unix:/path/to.sock";

    public Target {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(host, "host");
      Objects.requireNonNull(path, "path");
      if (host.isEmpty() || !printable(host)) {
        throw new IllegalArgumentException("host: \"" + host + "\" (expected: a host name or address)");
      }
      if (!path.startsWith("/") || !printable(path)) {
        throw new IllegalArgumentException(
            "path: \"" + path + "\" (expected: a path starting with /, in printable ASCII without spaces)");
      }
    }

    /**
     * Parses {@code http://HOST[:PORT][/path][?query]} (port 80 when absent) or {@code unix:/path/to.sock} (then
     * the request path is {@code /} and the {@code Host} header {@code localhost}).
     *
     * @throws IllegalArgumentException saying what was expected
     */
    public static Target parse(String text) {
      String s = text.trim();
      if (s.startsWith("unix:")) {
        return new Target(Address.parse(s), "localhost", "/");
      }
      if (s.startsWith("https://")) {
        throw new IllegalArgumentException("\"" + text + "\": https is not supported (expected: " + FORMS + ")");
      }
      if (!s.startsWith("http://")) {
        throw new IllegalArgumentException("\"" + text + "\" (expected: " + FORMS + ")");
      }
      String rest = s.substring("http://".length());
      int slash = indexOfAny(rest, "/?#");
      String authority = slash < 0 ? rest : rest.substring(0, slash);
      String path = slash < 0 ? "/" : rest.substring(slash);
      int fragment = path.indexOf('#');
      if (fragment >= 0) {
        path = path.substring(0, fragment);
      }
      if (path.isEmpty() || path.startsWith("?")) {
        path = "/" + path;
      }
      if (authority.isEmpty() || authority.startsWith(":") || authority.contains("@")) {
        throw new IllegalArgumentException("\"" + text + "\" has no usable host (expected: " + FORMS + ")");
      }
      boolean hasPort = authority.lastIndexOf(':') > authority.lastIndexOf(']');
      Address address;
      try {
        address = Address.parse(hasPort ? authority : authority + ":80");
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("\"" + text + "\" (expected: " + FORMS + ")");
      }
      if (((Address.Tcp) address).port() == 0) {
        throw new IllegalArgumentException("\"" + text + "\": port 0 cannot be connected to");
      }
      return new Target(address, authority, path);
    }

    /** The same target with another request path. */
    public Target withPath(String newPath) {
      return new Target(address, host, newPath);
    }

    @Override
    public String toString() {
      return address instanceof Address.Unix ? address + " " + path : "http://" + host + path;
    }

    private static int indexOfAny(String s, String chars) {
      for (int i = 0; i < s.length(); i++) {
        if (chars.indexOf(s.charAt(i)) >= 0) {
          return i;
        }
      }
      return -1;
    }

    /** Visible ASCII only: anything else would corrupt the request line or need encoding first. */
    private static boolean printable(String s) {
      return s.chars().allMatch(c -> c > 0x20 && c < 0x7f);
    }
  }

  /**
   * How hard to spike.
   *
   * @param connections how many requests, all started at once
   * @param timeout     longest time for one request, from its connect to the end of its response
   */
  public record Options(int connections, Duration timeout) {

    public static final Options DEFAULTS = new Options(2000, Duration.ofSeconds(60));

    public Options {
      Objects.requireNonNull(timeout, "timeout");
      if (connections < 1) {
        throw new IllegalArgumentException("connections: " + connections + " (expected: >= 1)");
      }
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
      }
    }
  }

  /** Exit status: every request got a 2xx response. */
  public static final int EXIT_OK = 0;
  /** Exit status: some request failed or got a status other than 2xx. */
  public static final int EXIT_FAILED = 1;
  /** Exit status: the arguments were wrong; one line says which. */
  public static final int EXIT_USAGE = 2;

  private Spike() {
  }

  /**
   * Fires the spike and completes, on an event loop, once every request has a response or a failure. The future
   * fails only on a bug: request failures are counted in the result. Creates and closes its own {@link NetClient};
   * {@code vertx} stays open.
   */
  public static Future<SpikeResult> run(Vertx vertx, Target target, Options options) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(options, "options");
    long timeoutNanos = options.timeout().toNanos();
    // Netty's connect timeout covers the connect; OneShot's own timer covers the rest of the request.
    NetClient client = vertx.createNetClient(new NetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, options.timeout().toMillis()))
        .setTcpNoDelay(true));
    SocketAddress address = target.address() instanceof Address.Unix u
        ? SocketAddress.domainSocketAddress(u.path().toString())
        : SocketAddress.inetSocketAddress(((Address.Tcp) target.address()).port(),
            ((Address.Tcp) target.address()).host());
    Buffer request = Buffer.buffer("GET " + target.path() + " HTTP/1.1\r\n"
        + "Host: " + target.host() + "\r\n"
        + "User-Agent: sluice-spike\r\n"
        + "Connection: close\r\n\r\n");

    preload();
    int n = options.connections();
    Outcome[] outcomes = new Outcome[n];
    AtomicInteger pending = new AtomicInteger(n);
    Promise<SpikeResult> promise = Promise.promise();
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      int slot = i;
      new OneShot(vertx, client, address, request, timeoutNanos, outcome -> {
        // Each slot is written once, before the decrement that publishes it to whoever ends the count.
        outcomes[slot] = outcome;
        if (pending.decrementAndGet() == 0) {
          Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
          client.close();
          try {
            promise.complete(summarize(outcomes, elapsed));
          } catch (RuntimeException e) {
            promise.fail(e);
          }
        }
      }).start();
    }
    return promise.future();
  }

  /**
   * The command {@code sluice spike [-c N] [--path PATH] [--timeout DURATION] [--json] TARGET}: runs a spike on its
   * own Vert.x instance (native transport when available) and prints a summary to {@code out}.
   *
   * @return {@link #EXIT_OK} when every request got a 2xx response, {@link #EXIT_FAILED} when some request failed or
   *     got another status, {@link #EXIT_USAGE} when the arguments are wrong (after printing one line saying why)
   */
  public static int run(String[] args, PrintStream out) {
    SpikeArgs parsed;
    try {
      parsed = SpikeArgs.parse(args);
    } catch (IllegalArgumentException | UsageException e) {
      out.println("sluice spike: " + e.getMessage());
      return EXIT_USAGE;
    }
    if (parsed.help()) {
      out.print(SpikeArgs.USAGE);
      return EXIT_OK;
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    boolean nativeTransport = vertx.isNativeTransportEnabled();
    SpikeResult result;
    try {
      result = run(vertx, parsed.target(), parsed.options()).await();
    } catch (RuntimeException e) {
      out.println("sluice spike: the spike could not run: " + ConnectErrors.describe(e));
      return EXIT_FAILED;
    } finally {
      // Closed before printing, so every connection's descriptor is back when the report's classes load.
      vertx.close().await();
    }
    out.println(parsed.json() ? SpikeReport.json(parsed.target(), result, nativeTransport) : SpikeReport.human(result));
    return result.allSucceeded() ? EXIT_OK : EXIT_FAILED;
  }

  /** {@link #run(String[], PrintStream)} on standard output, exiting with its status. */
  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /**
   * Loads what the failure paths use before any descriptor is spent. When connects fail with EMFILE, loading a class
   * from a directory on the class path fails as well (it needs a descriptor), and the error would surface inside
   * an event-loop callback, where Vert.x's attempt to log it can fail the same way and stop the loop.
   */
  private static void preload() {
    Throwable probe = new IOException("Too many open files");
    Outcome.failed(ConnectErrors.classify(probe), ConnectErrors.describe(probe));
    summarize(new Outcome[0], Duration.ZERO);
  }

  private static SpikeResult summarize(Outcome[] outcomes, Duration elapsed) {
    Map<Integer, Integer> statuses = new HashMap<>();
    Map<Failure, Integer> failures = new EnumMap<>(Failure.class);
    Map<Failure, String> details = new EnumMap<>(Failure.class);
    List<Duration> latencies = new ArrayList<>();
    for (Outcome o : outcomes) {
      if (o.failure() == null) {
        statuses.merge(o.status(), 1, Integer::sum);
        latencies.add(Duration.ofNanos(o.latencyNanos()));
      } else {
        failures.merge(o.failure(), 1, Integer::sum);
        details.putIfAbsent(o.failure(), o.detail());
      }
    }
    return new SpikeResult(outcomes.length, statuses, failures, details, latencies, elapsed);
  }
}
