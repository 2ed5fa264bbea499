package io.sluice.it;

import io.sluice.config.Address;
import io.sluice.net.Sockets;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A traffic spike for the integration tests: N one-shot {@code GET}s fired at once, each on its own connection with
 * {@code Connection: close}, each response read until the server closes. (The demo module's {@code sluice spike}
 * does the same for people; the proxy's tests cannot depend on that module, which depends on the proxy.)
 */
final class Burst {

  /**
   * What came back.
   *
   * @param statuses     responses by status code
   * @param failed       requests without a status line: refused, reset or timed out
   * @param latencyNanos each response's time from the connect to its end
   */
  record Result(Map<Integer, Integer> statuses, int failed, List<Long> latencyNanos, List<String> failures) {

    int count(int status) {
      return statuses.getOrDefault(status, 0);
    }

    /** The latency below which {@code fraction} of the responses came. */
    Optional<Duration> percentile(double fraction) {
      if (latencyNanos.isEmpty()) {
        return Optional.empty();
      }
      List<Long> sorted = latencyNanos.stream().sorted().toList();
      return Optional.of(Duration.ofNanos(sorted.get((int) Math.min(sorted.size() - 1, fraction * sorted.size()))));
    }

    @Override
    public String toString() {
      return statuses + ", " + failed + " failed" + (failures.isEmpty() ? "" : " (first: " + failures.get(0) + ")");
    }
  }

  private Burst() {
  }

  /** Fires the burst; completes once every request has its response or its failure. */
  static Future<Result> fire(Vertx vertx, Address to, String path, int n, Duration timeout) {
    NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) timeout.toMillis()));
    Buffer request = Buffer.buffer("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    Map<Integer, Integer> statuses = new TreeMap<>();
    List<Long> latencies = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    Promise<Result> done = Promise.promise();
    int[] pending = {n};
    Object lock = new Object();
    for (int i = 0; i < n; i++) {
      long start = System.nanoTime();
      one(vertx, client, to, request, timeout).onComplete(ar -> {
        synchronized (lock) {
          if (ar.succeeded() && ar.result() > 0) {
            statuses.merge(ar.result(), 1, Integer::sum);
            latencies.add(System.nanoTime() - start);
          } else {
            failures.add(ar.succeeded() ? "closed before a status line" : String.valueOf(ar.cause().getMessage()));
          }
          if (--pending[0] == 0) {
            client.close();
            done.complete(new Result(statuses, failures.size(), latencies, failures));
          }
        }
      });
    }
    return done.future();
  }

  /** The status code of one request's response, or 0 when the connection ended before a status line. */
  private static Future<Integer> one(Vertx vertx, NetClient client, Address to, Buffer request, Duration timeout) {
    return client.connect(Sockets.connectAddress(to)).compose(socket -> {
      Promise<Integer> status = Promise.promise();
      Buffer received = Buffer.buffer();
      long timer = vertx.setTimer(timeout.toMillis(), id -> {
        status.tryFail("no response within " + timeout.toMillis() + " ms");
        socket.close();
      });
      Throwable[] error = {null};
      socket.handler(received::appendBuffer);
      socket.exceptionHandler(e -> error[0] = e);
      socket.closeHandler(v -> {
        vertx.cancelTimer(timer);
        int code = statusOf(received);
        if (code == 0 && error[0] != null) {
          status.tryFail(error[0]);
        } else {
          status.tryComplete(code);
        }
      });
      socket.write(request);
      return status.future();
    });
  }

  private static int statusOf(Buffer response) {
    String head = response.getString(0, Math.min(response.length(), 12));
    return head.matches("HTTP/1\\.[01] \\d\\d\\d") ? Integer.parseInt(head.substring(9)) : 0;
  }
}
