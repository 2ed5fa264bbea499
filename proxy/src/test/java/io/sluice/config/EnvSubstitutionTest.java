package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EnvSubstitutionTest {

  private static final Map<String, String> ENV = Map.of("HOST", "10.0.0.1", "PORT", "8000", "EMPTY", "");

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "plain                  | plain",
      "${HOST}:${PORT}        | 10.0.0.1:8000",
      "unix:/run/${HOST}.sock | unix:/run/10.0.0.1.sock",
      "${EMPTY}x              | x",
      "${UNSET:-30s}          | 30s",
      "${EMPTY:-30s}          | 30s",
      "${PORT:-1}             | 8000",
      "${UNSET:-}             | ''",
      "$${HOST}               | ${HOST}",
      "a$b$                   | a$b$",
  })
  void replacesReferences(String text, String expected) {
    assertEquals(expected, EnvSubstitution.apply(text, ENV));
  }

  @Test
  void unsetVariableIsNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> EnvSubstitution.apply("${TOKEN}", ENV));
    assertEquals("environment variable TOKEN is not set (expected: TOKEN in the environment, "
        + "or ${TOKEN:-default} for a default)", e.getMessage());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"${HOST", "${}", "${1X}", "${A B}", "${X:-${Y}}", "${:-x}"})
  void malformedReferencesAreRefused(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EnvSubstitution.apply(text, ENV));
    assertEquals("\"" + text + "\" (expected: ${NAME} or ${NAME:-default}, and $${ for a literal ${)", e.getMessage());
  }
}
