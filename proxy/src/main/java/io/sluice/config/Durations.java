package io.sluice.config;

import java.time.Duration;

/** The duration syntax of flags, YAML and the admin API: an integer followed by {@code ms}, {@code s}, {@code m} or {@code h}. */
public final class Durations {

  /** What {@link #parse} accepts, for error messages. */
  public static final String FORMS = "a duration such as 500ms, 30s, 2m or 1h";

  private Durations() {
  }

  /**
   * Parses {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}.
   *
   * @throws IllegalArgumentException naming what was expected
   */
  public static Duration parse(String text) {
    Quantity q = Quantity.parse(text, 12, FORMS);
    return switch (q.unit()) {
      case "ms" -> Duration.ofMillis(q.number());
      case "s" -> Duration.ofSeconds(q.number());
      case "m" -> Duration.ofMinutes(q.number());
      case "h" -> Duration.ofHours(q.number());
      default -> throw Values.expected(text, FORMS);
    };
  }

  /**
   * Checks a setting that must be a duration above zero (a zero timeout would fail every request).
   *
   * @throws IllegalArgumentException as {@code timeout: 0s (expected: > 0)}
   * @throws NullPointerException     naming the setting, when there is none
   */
  public static void requirePositive(String name, Duration d) {
    if (java.util.Objects.requireNonNull(d, name).isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + ": " + format(d) + " (expected: > 0)");
    }
  }

  /** The shortest exact text form: {@code 60s} rather than {@code 1m}, {@code 1500ms} rather than {@code 1.5s}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 1000 != 0) {
      return ms + "ms";
    }
    long s = ms / 1000;
    if (s % 3600 == 0 && s >= 3600) {
      return (s / 3600) + "h";
    }
    if (s % 60 == 0 && s >= 600) {
      return (s / 60) + "m";
    }
    return s + "s";
  }
}
