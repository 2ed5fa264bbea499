package io.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HeaderNamesTest {

  private static final HeaderNames<String> NAMES = HeaderNames.<String>none()
      .with("one", "x-forwarded-for", "host")
      .with("two", "x-request-start", "te");

  @Test
  void findsTheKindOfANameInAnyCase() {
    assertEquals("one", NAMES.kind("X-Forwarded-For", "none"));
    assertEquals("one", NAMES.kind("HOST", "none"));
    assertEquals("two", NAMES.kind("x-REQUEST-start", "none"), "a second name of the same length");
    assertEquals("two", NAMES.kind("Te", "none"));
  }

  @Test
  void anyOtherNameIsTheDefault() {
    assertEquals("none", NAMES.kind("x-forwarded-fox", "none"), "same length, another name");
    assertEquals("none", NAMES.kind("hosts", "none"));
    assertEquals("none", NAMES.kind("", "none"));
    assertEquals("none", NAMES.kind("a-name-longer-than-any-of-those-held", "none"));
    assertNull(HeaderNames.<String>none().kind("host", null));
  }

  @Test
  void addingNamesLeavesTheOriginalAsItWas() {
    HeaderNames<String> more = NAMES.with("three", "hast", "via");
    assertEquals("three", more.kind("hast", "none"));
    assertEquals("one", more.kind("host", "none"));
    assertEquals("none", NAMES.kind("hast", "none"));
    assertEquals("none", NAMES.kind("via", "none"));
  }

  @Test
  void aSetOfNames() {
    HeaderNames<Boolean> set = HeaderNames.of("upgrade", "trailer");
    assertTrue(set.contains("Upgrade"));
    assertTrue(set.contains("TRAILER"));
    assertFalse(set.contains("upgrades"));
    assertFalse(set.contains("x"));
  }

  @Test
  void aKindIsNeverNull() {
    assertThrows(NullPointerException.class, () -> NAMES.with(null, "x"));
  }
}
