package io.sluice.config;

/**
 * A count that may also be the word {@code max}: the largest value the system allows at the time it is applied
 * (for a backlog, {@code net.core.somaxconn}; for the queue, the file-descriptor headroom).
 */
public record MaxOr(int value) {

  /** What {@link #parse} accepts, for error messages. */
  public static final String FORMS = "max or an integer >= 1";

  public static final MaxOr MAX = new MaxOr(Values.WORD);

  public MaxOr {
    Values.checkCountOr(value, FORMS);
  }

  public static MaxOr of(int value) {
    return new MaxOr(value);
  }

  public boolean isMax() {
    return value == Values.WORD;
  }

  /**
   * Parses {@code max} or a positive integer.
   *
   * @throws IllegalArgumentException naming what was expected
   */
  public static MaxOr parse(String text) {
    return of(Values.countOr("max", text, FORMS));
  }

  /** {@code max} or the number, as written in configuration and in the admin API. */
  @Override
  public String toString() {
    return Values.countOr("max", value);
  }
}
