package io.sluice.config;

/**
 * A count that may also be the word {@code max}: the largest value the system allows at the time it is applied
 * (for a backlog, {@code net.core.somaxconn}; for the queue, the file-descriptor headroom).
 */
public record MaxOr(int value) {

  /** What {@link #parse} accepts, for error messages. */
  public static final String FORMS = "max or an integer >= 1";

  public static final MaxOr MAX = new MaxOr(-1);

  public MaxOr {
    if (value < -1 || value == 0) {
      throw new IllegalArgumentException(value + " (expected: " + FORMS + ")");
    }
  }

  public static MaxOr of(int value) {
    return new MaxOr(value);
  }

  public boolean isMax() {
    return value == -1;
  }

  /**
   * Parses {@code max} or a positive integer.
   *
   * @throws IllegalArgumentException naming what was expected
   */
  public static MaxOr parse(String text) {
    String s = text.trim();
    if (s.equals("max")) {
      return MAX;
    }
    try {
      int n = Integer.parseInt(s);
      if (n >= 1) {
        return new MaxOr(n);
      }
    } catch (NumberFormatException ignored) {
      // reported below with the accepted forms
    }
    throw new IllegalArgumentException("\"" + text + "\" (expected: " + FORMS + ")");
  }

  /** {@code max} or the number, as written in configuration and in the admin API. */
  @Override
  public String toString() {
    return isMax() ? "max" : Integer.toString(value);
  }
}
