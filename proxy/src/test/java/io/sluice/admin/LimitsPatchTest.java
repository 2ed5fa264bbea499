package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sluice.config.LimitSetting;
import io.sluice.config.MaxOr;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class LimitsPatchTest {

  private static final List<String> KNOWN = List.of("app", "b2");

  private static LimitsPatch parse(String json) throws InvalidLimitsException {
    return LimitsPatch.parse(Json.decodeValue(json), KNOWN);
  }

  @Test
  void countsAsNumbersOrText() throws Exception {
    LimitsPatch p = parse("{\"backlog\":128,\"queue\":{\"max\":\"max\",\"timeout\":\"30s\"},"
        + "\"backends\":{\"app\":{\"limit\":\"8\"},\"b2\":{\"limit\":\"auto\"}}}");
    assertEquals(new LimitsPatch(Optional.of(MaxOr.of(128)), Optional.of(MaxOr.MAX),
        Optional.of(Duration.ofSeconds(30)), Map.of("app", LimitSetting.of(8), "b2", LimitSetting.AUTO),
        Optional.empty(), Optional.empty()), p);
    assertEquals(Optional.of(MaxOr.of(512)), parse("{\"backlog\":\"512\"}").backlog());
  }

  @Test
  void anEmptyDocumentChangesNothing() throws Exception {
    Limits before = FakeControl.defaults();
    assertEquals(before, parse("{}").applyTo(before));
    assertEquals(before, parse("{\"queue\":{},\"backends\":{\"app\":{}}}").applyTo(before));
  }

  @Test
  void appliesOnlyWhatItNames() throws Exception {
    Limits after = parse("{\"queue\":{\"max\":500},\"backends\":{\"b2\":{\"limit\":1}}}")
        .applyTo(FakeControl.defaults());
    assertEquals(new Limits(MaxOr.MAX, MaxOr.of(500), Duration.ofSeconds(60),
        Map.of("app", LimitSetting.AUTO, "b2", LimitSetting.of(1))), after);
    assertEquals(List.of("app", "b2"), List.copyOf(after.backends().keySet()), "configuration order is kept");
  }

  @Test
  void rendersWordsAsTextAndCountsAsNumbers() {
    Limits limits = new Limits(MaxOr.of(512), MaxOr.MAX, Duration.ofMillis(1500),
        Map.of("app", LimitSetting.of(8)));
    assertEquals(new JsonObject("{\"backlog\":512,\"queue\":{\"max\":\"max\",\"timeout\":\"1500ms\","
        + "\"discipline\":\"adaptive\",\"target\":\"500ms\"},\"backends\":{\"app\":{\"limit\":8}}}"),
        LimitsPatch.render(limits));
    assertEquals("{\"backlog\":\"max\",\"queue\":{\"max\":\"max\",\"timeout\":\"60s\",\"discipline\":\"adaptive\","
        + "\"target\":\"500ms\"},\"backends\":{\"app\":{\"limit\":\"auto\"},\"b2\":{\"limit\":4}}}",
        LimitsPatch.render(FakeControl.defaults()).encode());
  }

  @Test
  void theDisciplineAndTargetChangeLive() throws Exception {
    Limits after = parse("{\"queue\":{\"discipline\":\"adaptive\",\"target\":\"200ms\"}}")
        .applyTo(FakeControl.defaults());
    assertEquals(io.sluice.config.QueueDiscipline.ADAPTIVE, after.discipline());
    assertEquals(Duration.ofMillis(200), after.queueTarget());
    InvalidLimitsException e = assertThrows(InvalidLimitsException.class,
        () -> parse("{\"queue\":{\"discipline\":\"lifo\"}}"));
    assertEquals("queue.discipline: \"lifo\" (expected: fifo or adaptive)", e.getMessage());
    e = assertThrows(InvalidLimitsException.class, () -> parse("{\"queue\":{\"target\":0}}"));
    assertEquals(400, e.status());
  }

  @Test
  void whatItRendersItParses() throws Exception {
    Limits limits = new Limits(MaxOr.of(64), MaxOr.of(9), Duration.ofMinutes(2),
        Map.of("app", LimitSetting.of(2), "b2", LimitSetting.AUTO));
    assertEquals(limits, LimitsPatch.parse(LimitsPatch.render(limits), KNOWN).applyTo(FakeControl.defaults()));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"queue\":{\"max\":\"-3\"}}|queue.max: \"-3\" (expected: max or an integer >= 1)",
      "{\"queue\":{\"max\":-3}}|queue.max: -3 (expected: max or an integer >= 1)",
      "{\"queue\":{\"max\":0}}|queue.max: 0 (expected: max or an integer >= 1)",
      "{\"queue\":{\"max\":2.5}}|queue.max: 2.5 (expected: max or an integer >= 1)",
      "{\"queue\":{\"max\":null}}|queue.max: null (expected: max or an integer >= 1)",
      "{\"queue\":{\"max\":true}}|queue.max: true (expected: max or an integer >= 1)",
      "{\"queue\":{\"max\":99999999999}}|queue.max: 99999999999 (expected: max or an integer >= 1)",
      "{\"backlog\":\"auto\"}|backlog: \"auto\" (expected: max or an integer >= 1)",
      "{\"queue\":{\"timeout\":\"0s\"}}|queue.timeout: \"0s\" (expected: a duration above zero, such as 500ms, 30s,"
          + " 2m or 1h)",
      "{\"queue\":{\"timeout\":30}}|queue.timeout: 30 (expected: a duration above zero, such as 500ms, 30s, 2m or"
          + " 1h)",
      "{\"queue\":{\"timeout\":\"999999999999h\"}}|queue.timeout: \"999999999999h\" (expected: a duration above zero,"
          + " such as 500ms, 30s, 2m or 1h)",
      "{\"backends\":{\"app\":{\"limit\":\"max\"}}}|backends.app.limit: \"max\" (expected: auto or an integer >= 1)",
      "{\"backends\":{\"app\":8}}|backends.app: 8 (expected: an object such as {\"limit\":8})",
      "{\"backends\":[]}|backends: [] (expected: an object such as {\"app\":{\"limit\":8}})",
      "{\"queue\":\"max\"}|queue: \"max\" (expected: an object such as {\"max\":\"max\",\"timeout\":\"60s\"})",
      "[1]|[1] (expected: an object such as {\"queue\":{\"max\":500}})",
      "{\"size\":1}|unknown key \"size\" (expected: backlog, queue, backends)",
      "{\"queue\":{\"maximum\":1}}|queue: unknown key \"maximum\" (expected: max, timeout, discipline, target)",
      "{\"backends\":{\"app\":{\"max\":1}}}|backends.app: unknown key \"max\" (expected: limit)",
  })
  void refusalsNameTheFieldAndWhatIsAccepted(String json, String message) {
    InvalidLimitsException e = assertThrows(InvalidLimitsException.class, () -> parse(json));
    assertEquals(400, e.status());
    assertEquals(message, e.getMessage());
  }

  @Test
  void anUnknownBackendIs404() {
    InvalidLimitsException e = assertThrows(InvalidLimitsException.class,
        () -> parse("{\"backends\":{\"nope\":{\"limit\":1}}}"));
    assertEquals(404, e.status());
    assertEquals("backends.nope: no such backend (known: app, b2)", e.getMessage());
  }

  @Test
  void aLongValueIsShortenedInTheMessage() {
    String long_ = "x".repeat(200);
    InvalidLimitsException e = assertThrows(InvalidLimitsException.class,
        () -> parse("{\"backlog\":\"" + long_ + "\"}"));
    assertEquals("backlog: \"" + "x".repeat(59) + "... (expected: max or an integer >= 1)", e.getMessage());
  }
}
