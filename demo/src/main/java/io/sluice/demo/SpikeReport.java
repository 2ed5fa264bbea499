package io.sluice.demo;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.demo.SpikeResult.Failure;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Prints a {@link SpikeResult}: a compact summary for people, or one JSON object for bench scripts. */
final class SpikeReport {

  private static final double[] PERCENTILES = {0.5, 0.9, 0.99};

  private SpikeReport() {
  }

  /**
   * A headline, then one indented line per status other than 200 and per failure class, e.g.
   * <pre>
   * 2000 requests, 1800 x 200, 150 x 503, 50 failed in 5.81 s (336 req/s); latency p50 2.9 s, p90 5.2 s, p99 5.7 s, max 5.8 s
   *   150 x 503 Service Unavailable
   *   50 failed: connect EAGAIN: listen queue full (Resource temporarily unavailable)
   * </pre>
   */
  static String human(SpikeResult r) {
    StringBuilder sb = new StringBuilder();
    sb.append(r.requests()).append(" requests, ");
    r.statuses().forEach((status, count) -> sb.append(count).append(" x ").append(status).append(", "));
    sb.append(r.failed()).append(" failed in ")
        .append(String.format(Locale.ROOT, "%.2f s (%.0f req/s)", seconds(r.elapsed()), r.rate()));
    if (r.responses() == 0) {
      sb.append("; no responses");
    } else {
      sb.append("; latency");
      for (double p : PERCENTILES) {
        sb.append(" p").append(percentileName(p)).append(' ').append(duration(r.percentile(p).orElseThrow()))
            .append(',');
      }
      sb.append(" max ").append(duration(r.percentile(1).orElseThrow()));
    }
    for (Map.Entry<Integer, Integer> e : r.statuses().entrySet()) {
      if (e.getKey() != 200) {
        sb.append("\n  ").append(e.getValue()).append(" x ").append(e.getKey()).append(' ')
            .append(HttpResponseStatus.valueOf(e.getKey()).reasonPhrase());
      }
    }
    for (Map.Entry<Failure, Integer> e : r.failures().entrySet()) {
      Failure f = e.getKey();
      sb.append("\n  ").append(e.getValue()).append(" failed: ").append(f.label());
      switch (f) {
        case TOO_MANY_OPEN_FILES -> sb.append(": ").append(r.requests())
            .append(" connections need as many file descriptors; raise the open-files limit (ulimit -n)"
                + " or lower --connections");
        case CLOSED_BEFORE_STATUS, INCOMPLETE, BAD_RESPONSE, TIMEOUT, OTHER -> {
          String detail = r.failureDetails().get(f);
          if (detail != null) {
            sb.append(" (first: ").append(detail).append(')');
          }
        }
        default -> {
          // The label says it all: these errors have one cause each.
        }
      }
    }
    return sb.toString();
  }

  /**
   * One line of JSON: {@code target}, {@code path}, {@code nativeTransport}, {@code requests}, {@code responses},
   * {@code failed}, {@code elapsedMs}, {@code ratePerSecond}, {@code statuses} (code to count), {@code failures}
   * (every class's key to its count, zeros included so scripts can rely on the keys) and {@code latencyMs}
   * ({@code p50}, {@code p90}, {@code p99}, {@code max}; null without responses).
   */
  static String json(Spike.Target target, SpikeResult r, boolean nativeTransport) {
    JsonObject statuses = new JsonObject();
    r.statuses().forEach((status, count) -> statuses.put(Integer.toString(status), count));
    JsonObject failures = new JsonObject();
    for (Failure f : Failure.values()) {
      failures.put(f.key(), r.count(f));
    }
    JsonObject latency = new JsonObject();
    for (double p : PERCENTILES) {
      latency.put("p" + percentileName(p), millis(r.percentile(p)));
    }
    latency.put("max", millis(r.percentile(1)));
    String where = target.address().toString();
    return new JsonObject()
        .put("target", where.startsWith("unix:") ? where : "http://" + target.host())
        .put("path", target.path())
        .put("nativeTransport", nativeTransport)
        .put("requests", r.requests())
        .put("responses", r.responses())
        .put("failed", r.failed())
        .put("elapsedMs", round3(r.elapsed().toNanos() / 1e6))
        .put("ratePerSecond", round3(r.rate()))
        .put("statuses", statuses)
        .put("failures", failures)
        .put("latencyMs", latency)
        .encode();
  }

  /** {@code 2.9 s}, {@code 250 ms} or {@code 4.2 ms}: two or three significant digits are plenty for a spike. */
  static String duration(Duration d) {
    double s = seconds(d);
    if (s >= 1) {
      return String.format(Locale.ROOT, "%.1f s", s);
    }
    if (s >= 0.01) {
      return String.format(Locale.ROOT, "%.0f ms", s * 1e3);
    }
    return String.format(Locale.ROOT, "%.1f ms", s * 1e3);
  }

  private static String percentileName(double p) {
    return Long.toString(Math.round(p * 100));
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }

  private static Double millis(Optional<Duration> d) {
    return d.map(x -> round3(x.toNanos() / 1e6)).orElse(null);
  }

  private static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
