package io.sluice.admin;

import io.sluice.history.History;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.lang.System.Logger.Level;

/**
 * {@code GET /api/v1/history[?since=UNIX_MS]}: the {@link History} as compact columns, oldest first, with only the
 * points and events later than {@code since} when it is given (the dashboard asks for what is new since its last
 * point):
 * <pre>
 * {"step":1000,"capacity":900,"end":1764540000000,
 *  "t":[...],
 *  "queue":{"depth":[...],"drainPerSecond":[...],"waitP50Ms":[...],"waitP99Ms":[...],"oldestWaitMs":[...]},
 *  "received":[...], "outcomes":{"served":[...],"queue_full":[...],...},
 *  "backends":[{"name":"app","limit":[...],"inflight":[...],"kernelQueue":[...]}],
 *  "listeners":[{"address":"127.0.0.1:8080","kernelQueue":[...]}],
 *  "events":[{"t":...,"kind":"limit","backend":"app","text":"↑ 8 slow_start","count":1}]}
 * </pre>
 * {@code t} and {@code end} are Unix milliseconds ({@code end} is the last point's, {@code null} without points);
 * rates are per second; {@code null} is a value not known at that point. The view is copied on the admin listener's
 * event loop (a short lock) and rendered on a worker thread.
 */
final class HistoryApi {

  private static final System.Logger LOG = System.getLogger(HistoryApi.class.getName());

  private final Vertx vertx;
  private final History history;

  HistoryApi(Vertx vertx, History history) {
    this.vertx = vertx;
    this.history = history;
  }

  void get(RoutingContext ctx) {
    String since = ctx.request().getParam("since");
    long after = Long.MIN_VALUE;
    if (since != null) {
      try {
        after = Long.parseLong(since.trim());
      } catch (NumberFormatException e) {
        Responses.error(ctx, 400, "since: \"" + since + "\" (expected: Unix milliseconds, such as the last t seen)");
        return;
      }
    }
    History.View view = history.since(after);
    vertx.executeBlocking(() -> render(view), false).onComplete(ar -> {
      if (ar.failed()) {
        LOG.log(Level.ERROR, "rendering the history failed", ar.cause());
        Responses.error(ctx, 500, "rendering the history failed: " + ar.cause());
        return;
      }
      if (ctx.response().ended() || ctx.response().closed()) {
        return;
      }
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .end(ar.result());
    });
  }

  /** The document, written straight into one builder: a full history is some 20,000 numbers. */
  static String render(History.View v) {
    int n = v.points();
    StringBuilder sb = new StringBuilder(64 + n * (16 + 8 * (8 + v.outcomes().size() + 3 * v.backends().size()
        + v.listeners().size())));
    sb.append("{\"step\":").append(v.stepMillis()).append(",\"capacity\":").append(v.capacity())
        .append(",\"end\":").append(n == 0 ? "null" : Long.toString(v.t()[n - 1]));
    sb.append(",\"t\":[");
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(v.t()[i]);
    }
    sb.append("],\"queue\":{\"depth\":");
    ints(sb, v.depth());
    sb.append(",\"drainPerSecond\":");
    decimals(sb, v.drainPerSecond(), 1);
    sb.append(",\"waitP50Ms\":");
    decimals(sb, v.waitP50Millis(), 2);
    sb.append(",\"waitP99Ms\":");
    decimals(sb, v.waitP99Millis(), 2);
    sb.append(",\"oldestWaitMs\":");
    decimals(sb, v.oldestWaitMillis(), 0);
    sb.append("},\"received\":");
    decimals(sb, v.receivedPerSecond(), 1);
    sb.append(",\"outcomes\":{");
    for (int o = 0; o < v.outcomes().size(); o++) {
      sb.append(o > 0 ? "," : "").append(quote(v.outcomes().get(o))).append(':');
      decimals(sb, v.outcomesPerSecond()[o], 1);
    }
    sb.append("},\"backends\":[");
    for (int b = 0; b < v.backends().size(); b++) {
      sb.append(b > 0 ? "," : "").append("{\"name\":").append(quote(v.backends().get(b))).append(",\"limit\":");
      ints(sb, v.limit()[b]);
      sb.append(",\"inflight\":");
      ints(sb, v.inflight()[b]);
      sb.append(",\"kernelQueue\":");
      ints(sb, v.backendKernelQueue()[b]);
      sb.append('}');
    }
    sb.append("],\"listeners\":[");
    for (int l = 0; l < v.listeners().size(); l++) {
      sb.append(l > 0 ? "," : "").append("{\"address\":").append(quote(v.listeners().get(l)))
          .append(",\"kernelQueue\":");
      ints(sb, v.listenerKernelQueue()[l]);
      sb.append('}');
    }
    sb.append("],\"events\":[");
    boolean firstEvent = true;
    for (History.Event e : v.events()) {
      JsonObject o = new JsonObject().put("t", e.t()).put("kind", e.kind());
      if (e.backend() != null) {
        o.put("backend", e.backend());
      }
      o.put("text", e.text()).put("count", e.count());
      sb.append(firstEvent ? "" : ",").append(o.encode());
      firstEvent = false;
    }
    return sb.append("]}\n").toString();
  }

  /** Counts; a negative one (a kernel queue not reported) is {@code null}. */
  private static void ints(StringBuilder sb, int[] values) {
    sb.append('[');
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      if (values[i] < 0) {
        sb.append("null");
      } else {
        sb.append(values[i]);
      }
    }
    sb.append(']');
  }

  /** Numbers rounded to {@code places} decimals, in plain notation; NaN or infinite is {@code null}. */
  private static void decimals(StringBuilder sb, float[] values, int places) {
    long scale = places == 0 ? 1 : places == 1 ? 10 : 100;
    sb.append('[');
    for (int i = 0; i < values.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      float v = values[i];
      if (Float.isNaN(v) || Float.isInfinite(v)) {
        sb.append("null");
        continue;
      }
      long scaled = Math.round((double) v * scale);
      if (scaled < 0) {
        sb.append('-');
        scaled = -scaled;
      }
      sb.append(scaled / scale);
      long fraction = scaled % scale;
      if (fraction != 0) {
        String digits = Long.toString(fraction + scale).substring(1);
        sb.append('.').append(digits.replaceFirst("0+$", ""));
      }
    }
    sb.append(']');
  }

  private static String quote(String s) {
    // A JSON string through Vert.x's encoder, which escapes what JSON requires.
    String encoded = new io.vertx.core.json.JsonArray().add(s).encode();
    return encoded.substring(1, encoded.length() - 1);
  }
}
