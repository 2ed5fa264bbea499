package io.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HeaderNamesTest {

  private static final HeaderNames NAMES = HeaderNames.none()
      .with(1, "x-forwarded-for", "host")
      .with(2, "x-request-start", "te");

  @Test
  void findsTheKindOfANameInAnyCase() {
    assertEquals(1, NAMES.kind("X-Forwarded-For", 0));
    assertEquals(1, NAMES.kind("HOST", 0));
    assertEquals(2, NAMES.kind("x-REQUEST-start", 0), "a second name of the same length");
    assertEquals(2, NAMES.kind("Te", 0));
  }

  @Test
  void anyOtherNameIsTheDefault() {
    assertEquals(7, NAMES.kind("x-forwarded-fox", 7), "same length, another name");
    assertEquals(7, NAMES.kind("hosts", 7));
    assertEquals(7, NAMES.kind("", 7));
    assertEquals(7, NAMES.kind("a-name-longer-than-any-of-those-held", 7));
    assertEquals(7, HeaderNames.none().kind("host", 7));
  }

  @Test
  void addingNamesLeavesTheOriginalAsItWas() {
    HeaderNames more = NAMES.with(3, "hast", "via");
    assertEquals(3, more.kind("hast", 0));
    assertEquals(1, more.kind("host", 0));
    assertEquals(0, NAMES.kind("hast", 0));
    assertEquals(0, NAMES.kind("via", 0));
  }

  @Test
  void aSetOfNames() {
    HeaderNames set = HeaderNames.of("upgrade", "trailer");
    assertTrue(set.contains("Upgrade"));
    assertTrue(set.contains("TRAILER"));
    assertFalse(set.contains("upgrades"));
    assertFalse(set.contains("x"));
  }

  @Test
  void aKindIsNotNegative() {
    assertEquals("kind: -1 (expected: >= 0)",
        assertThrows(IllegalArgumentException.class, () -> NAMES.with(-1, "x")).getMessage());
  }
}
