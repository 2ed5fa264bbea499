package io.sluice.admin;

import io.sluice.kernel.KernelQueue;
import io.sluice.status.Status;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * The document of {@code GET /api/v1/status}, in SPEC.md's shape. Settings are {@code "max"}/{@code "auto"} or a JSON
 * number, as in {@code /api/v1/limits}; a kernel queue the kernel will not report is {@code null}, with the reason
 * beside it in {@code kernelQueueUnknown}.
 */
final class StatusJson {

  /** SPEC.md spells this total in the plural (and so its sibling); the others are the labels in camel case. */
  private static final Map<String, String> TOTAL_NAMES = Map.of("backend_error", "backendErrors",
      "backend_timeout", "backendTimeouts");

  private StatusJson() {
  }

  static JsonObject render(Status s) {
    JsonArray listeners = new JsonArray();
    for (Status.Listener l : s.listeners()) {
      JsonObject o = new JsonObject()
          .put("address", l.address())
          .put("backlog", new JsonObject().put("setting", setting(l.backlogSetting()))
              .put("effective", l.backlogEffective()).put("somaxconn", l.somaxconn()));
      kernelQueue(o, l.kernelQueue());
      listeners.add(o);
    }
    Status.Queue q = s.queue();
    JsonObject queue = new JsonObject()
        .put("depth", q.depth())
        .put("peak", q.peak())
        .put("max", setting(q.max()))
        .put("effectiveMax", q.effectiveMax())
        .put("timeoutMs", q.timeoutMs())
        .put("oldestWaitMs", q.oldestWaitMs())
        .put("drainPerSecond", Math.round(q.drainPerSecond() * 10) / 10.0)
        .put("discipline", q.discipline())
        .put("targetMs", q.targetMs())
        .put("mode", q.overloaded() ? "overloaded" : "normal")
        .put("modeChangedAgoMs", q.modeAgeMs() < 0 ? null : q.modeAgeMs());
    JsonArray backends = new JsonArray();
    for (Status.Backend b : s.backends()) {
      JsonObject o = new JsonObject()
          .put("name", b.name())
          .put("address", b.address())
          .put("protocol", b.protocol())
          .put("limit", new JsonObject().put("setting", setting(b.limitSetting())).put("current", b.limitCurrent())
              .put("lastDecision", decision(b.lastDecision())))
          .put("inflight", b.inflight())
          .put("paused", b.paused())
          .put("connections", new JsonObject().put("open", b.connections().open())
              .put("idle", b.connections().idle()))
          .put("retries", counts(b.retries()));
      kernelQueue(o, b.kernelQueue());
      backends.add(o);
    }
    JsonObject totals = new JsonObject().put("received", s.totals().received());
    s.totals().byOutcome().forEach((label, n) -> totals.put(totalName(label), n));
    JsonObject fds = new JsonObject().put("soft", s.fds().soft()).put("hard", s.fds().hard())
        .put("open", s.fds().open());
    Status.Buffers b = s.buffers();
    JsonObject buffers = new JsonObject().put("memory", b.memory()).put("disk", b.disk())
        .put("memoryBudget", b.memoryBudget()).put("diskBudget", b.diskBudget());
    return new JsonObject().put("listeners", listeners).put("queue", queue).put("backends", backends)
        .put("totals", totals).put("fds", fds).put("buffers", buffers);
  }

  /** {@code queue_full} is {@code queueFull}; {@code backend_error} is SPEC.md's {@code backendErrors}. */
  static String totalName(String label) {
    String named = TOTAL_NAMES.get(label);
    if (named != null) {
      return named;
    }
    StringBuilder sb = new StringBuilder(label.length());
    boolean upper = false;
    for (char c : label.toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        sb.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return sb.toString();
  }

  private static JsonObject counts(Map<String, Long> byLabel) {
    JsonObject o = new JsonObject();
    byLabel.forEach(o::put);
    return o;
  }

  private static void kernelQueue(JsonObject o, KernelQueue q) {
    if (q instanceof KernelQueue.Known k) {
      o.put("kernelQueue", new JsonObject().put("depth", k.depth()).put("max", k.max()));
    } else {
      o.putNull("kernelQueue");
      o.put("kernelQueueUnknown", ((KernelQueue.Unknown) q).reason());
    }
  }

  private static JsonObject decision(Status.LimitDecision d) {
    return d == null ? null : new JsonObject().put("direction", d.direction()).put("reason", d.reason())
        .put("from", d.from()).put("to", d.to()).put("agoMs", d.agoMs());
  }

  /** {@code "max"} and {@code "auto"} stay words; a configured number becomes a JSON number. */
  private static Object setting(String text) {
    if (!text.isEmpty() && text.chars().allMatch(Character::isDigit) && text.length() < 10) {
      return Integer.parseInt(text);
    }
    return text;
  }
}
