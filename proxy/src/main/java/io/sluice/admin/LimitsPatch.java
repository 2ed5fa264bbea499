package io.sluice.admin;

import io.sluice.config.Durations;
import io.sluice.config.LimitSetting;
import io.sluice.config.MaxOr;
import io.sluice.config.QueueDiscipline;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A partial limits document, validated whole: the body of {@code PATCH /api/v1/limits} and the content of the state
 * file. Its shape is {@code GET /api/v1/limits}'s:
 * {@code {"backlog":"max"|N, "queue":{"max":"max"|N, "timeout":"60s", "discipline":"fifo"|"adaptive",
 * "target":"500ms"}, "backends":{NAME:{"limit":"auto"|N}}}}, every key optional; a count may be a JSON number or a
 * string ({@code 128} or {@code "128"}), a duration is a string.
 *
 * @param backends the backend limits it sets, by name; every name is a known backend
 */
record LimitsPatch(Optional<MaxOr> backlog, Optional<MaxOr> queueMax, Optional<Duration> queueTimeout,
    Map<String, LimitSetting> backends, Optional<QueueDiscipline> discipline, Optional<Duration> queueTarget) {

  static final String TIMEOUT_FORMS = "a duration above zero, such as 500ms, 30s, 2m or 1h";
  private static final List<String> TOP_KEYS = List.of("backlog", "queue", "backends");
  private static final List<String> QUEUE_KEYS = List.of("max", "timeout", "discipline", "target");
  private static final List<String> BACKEND_KEYS = List.of("limit");
  private static final int MAX_QUOTED = 60;

  LimitsPatch {
    backends = Map.copyOf(backends);
  }

  /**
   * Validates a decoded JSON document. Nothing is partly accepted: the first problem, in document order, is thrown.
   *
   * @param known the names of the configured backends
   * @throws InvalidLimitsException 400 naming the key or field and what is accepted, 404 for an unknown backend
   */
  static LimitsPatch parse(Object document, Collection<String> known) throws InvalidLimitsException {
    JsonObject top = object("", document, "an object such as {\"queue\":{\"max\":500}}");
    checkKeys("", top, TOP_KEYS);
    Optional<MaxOr> backlog = Optional.empty();
    Optional<MaxOr> queueMax = Optional.empty();
    Optional<Duration> queueTimeout = Optional.empty();
    Optional<QueueDiscipline> discipline = Optional.empty();
    Optional<Duration> queueTarget = Optional.empty();
    Map<String, LimitSetting> backends = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : top) {
      switch (e.getKey()) {
        case "backlog" -> backlog = Optional.of(count("backlog", e.getValue(), MaxOr.FORMS, MaxOr::parse));
        case "queue" -> {
          JsonObject queue = object("queue", e.getValue(), "an object such as {\"max\":\"max\",\"timeout\":\"60s\"}");
          checkKeys("queue", queue, QUEUE_KEYS);
          for (Map.Entry<String, Object> q : queue) {
            switch (q.getKey()) {
              case "max" -> queueMax = Optional.of(count("queue.max", q.getValue(), MaxOr.FORMS, MaxOr::parse));
              case "timeout" -> queueTimeout = Optional.of(timeout("queue.timeout", q.getValue()));
              case "target" -> queueTarget = Optional.of(timeout("queue.target", q.getValue()));
              default -> discipline = Optional.of(word("queue.discipline", q.getValue()));
            }
          }
        }
        default -> {
          JsonObject all = object("backends", e.getValue(), "an object such as {\"app\":{\"limit\":8}}");
          for (Map.Entry<String, Object> b : all) {
            String field = "backends." + b.getKey();
            if (!known.contains(b.getKey())) {
              throw new InvalidLimitsException(404, field + ": no such backend (known: " + String.join(", ", known)
                  + ")");
            }
            JsonObject backend = object(field, b.getValue(), "an object such as {\"limit\":8}");
            checkKeys(field, backend, BACKEND_KEYS);
            if (backend.containsKey("limit")) {
              backends.put(b.getKey(), count(field + ".limit", backend.getValue("limit"), LimitSetting.FORMS,
                  LimitSetting::parse));
            }
          }
        }
      }
    }
    return new LimitsPatch(backlog, queueMax, queueTimeout, backends, discipline, queueTarget);
  }

  private static QueueDiscipline word(String field, Object value) throws InvalidLimitsException {
    if (value instanceof String s) {
      try {
        return QueueDiscipline.parse(s);
      } catch (IllegalArgumentException e) {
        // reported below, quoting the value as it was sent
      }
    }
    throw invalid(field, value, QueueDiscipline.FORMS);
  }

  /** The limits this patch makes of {@code current}. */
  Limits applyTo(Limits current) {
    Limits next = current;
    if (backlog.isPresent()) {
      next = next.withBacklog(backlog.get());
    }
    if (queueMax.isPresent()) {
      next = next.withQueueMax(queueMax.get());
    }
    if (queueTimeout.isPresent()) {
      next = next.withQueueTimeout(queueTimeout.get());
    }
    if (discipline.isPresent()) {
      next = next.withDiscipline(discipline.get());
    }
    if (queueTarget.isPresent()) {
      next = next.withQueueTarget(queueTarget.get());
    }
    for (Map.Entry<String, LimitSetting> e : backends.entrySet()) {
      next = next.withBackendLimit(e.getKey(), e.getValue());
    }
    return next;
  }

  /** The document of {@code GET /api/v1/limits}: words as strings, counts as numbers, the timeout as text. */
  static JsonObject render(Limits limits) {
    JsonObject backends = new JsonObject();
    limits.backends().forEach((name, limit) -> backends.put(name,
        new JsonObject().put("limit", limit.isAuto() ? (Object) "auto" : (Object) limit.fixed())));
    return new JsonObject()
        .put("backlog", maxOr(limits.backlog()))
        .put("queue", new JsonObject().put("max", maxOr(limits.queueMax()))
            .put("timeout", Durations.format(limits.queueTimeout()))
            .put("discipline", limits.discipline().id())
            .put("target", Durations.format(limits.queueTarget())))
        .put("backends", backends);
  }

  private static Object maxOr(MaxOr m) {
    return m.isMax() ? "max" : m.value();
  }

  private static JsonObject object(String field, Object value, String expected) throws InvalidLimitsException {
    if (value instanceof JsonObject o) {
      return o;
    }
    if (value instanceof Map<?, ?> m) {
      @SuppressWarnings("unchecked")
      Map<String, Object> map = (Map<String, Object>) m;
      return new JsonObject(map);
    }
    throw invalid(field, value, expected);
  }

  private static void checkKeys(String field, JsonObject o, List<String> allowed) throws InvalidLimitsException {
    for (String key : o.fieldNames()) {
      if (!allowed.contains(key)) {
        throw new InvalidLimitsException(400, (field.isEmpty() ? "" : field + ": ") + "unknown key "
            + quote(key) + " (expected: " + String.join(", ", allowed) + ")");
      }
    }
  }

  /** A count given as a JSON integer or as text; the word ({@code max}, {@code auto}) only as text. */
  private static <T> T count(String field, Object value, String forms, Function<String, T> parse)
      throws InvalidLimitsException {
    String text = null;
    if (value instanceof String s) {
      text = s;
    } else if (value instanceof Integer || value instanceof Long || value instanceof BigInteger) {
      text = value.toString();
    }
    if (text != null) {
      try {
        return parse.apply(text);
      } catch (IllegalArgumentException e) {
        // reported below, quoting the value as it was sent
      }
    }
    throw invalid(field, value, forms);
  }

  private static Duration timeout(String field, Object value) throws InvalidLimitsException {
    if (value instanceof String s) {
      try {
        Duration d = Durations.parse(s);
        // the dispatcher counts in nanoseconds: past about 292 years that overflows
        if (!d.isZero() && d.toNanos() > 0) {
          return d;
        }
      } catch (IllegalArgumentException | ArithmeticException e) {
        // reported below
      }
    }
    throw invalid(field, value, TIMEOUT_FORMS);
  }

  private static InvalidLimitsException invalid(String field, Object value, String expected) {
    String shown = quote(value);
    return new InvalidLimitsException(400, (field.isEmpty() ? "" : field + ": ") + shown + " (expected: "
        + expected + ")");
  }

  /** The value as JSON, shortened: the message quotes exactly what was sent. */
  private static String quote(Object value) {
    String json = value instanceof Map<?, ?> m ? new JsonObject(castMap(m)).encode() : Json.encode(value);
    return json.length() <= MAX_QUOTED ? json : json.substring(0, MAX_QUOTED) + "...";
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }
}
