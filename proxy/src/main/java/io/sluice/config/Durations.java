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
    String s = text.trim();
    int i = 0;
    while (i < s.length() && Character.isDigit(s.charAt(i))) {
      i++;
    }
    if (i == 0 || i > 12) {
      throw new IllegalArgumentException("\"" + text + "\" (expected: " + FORMS + ")");
    }
    long n = Long.parseLong(s.substring(0, i));
    switch (s.substring(i)) {
      case "ms":
        return Duration.ofMillis(n);
      case "s":
        return Duration.ofSeconds(n);
      case "m":
        return Duration.ofMinutes(n);
      case "h":
        return Duration.ofHours(n);
      default:
        throw new IllegalArgumentException("\"" + text + "\" (expected: " + FORMS + ")");
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
