package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

  @Test
  void parsesEachUnit() {
    assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
    assertEquals(Duration.ofSeconds(30), Durations.parse("30s"));
    assertEquals(Duration.ofMinutes(2), Durations.parse("2m"));
    assertEquals(Duration.ofHours(1), Durations.parse("1h"));
  }

  @Test
  void refusesWhatItCannotRead() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse("30"));
    assertEquals("\"30\" (expected: " + Durations.FORMS + ")", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("s"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("-1s"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("1.5s"));
  }

  @Test
  void formatsExactlyAndShortly() {
    assertEquals("60s", Durations.format(Duration.ofSeconds(60)));
    assertEquals("1500ms", Durations.format(Duration.ofMillis(1500)));
    assertEquals("10m", Durations.format(Duration.ofMinutes(10)));
    assertEquals("2h", Durations.format(Duration.ofHours(2)));
    for (String s : new String[] {"500ms", "30s", "45m", "3h"}) {
      assertEquals(s, Durations.format(Durations.parse(s)));
    }
  }
}
