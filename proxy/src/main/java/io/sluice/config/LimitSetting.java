package io.sluice.config;

/** A backend's concurrency limit as configured: {@code auto} (adaptive) or a fixed number of requests in flight. */
public record LimitSetting(int fixed) {

  /** What {@link #parse} accepts, for error messages. */
  public static final String FORMS = "auto or an integer >= 1";

  public static final LimitSetting AUTO = new LimitSetting(Values.WORD);

  public LimitSetting {
    Values.checkCountOr(fixed, FORMS);
  }

  public static LimitSetting of(int fixed) {
    return new LimitSetting(fixed);
  }

  public boolean isAuto() {
    return fixed == Values.WORD;
  }

  /**
   * Parses {@code auto} or a positive integer.
   *
   * @throws IllegalArgumentException naming what was expected
   */
  public static LimitSetting parse(String text) {
    return of(Values.countOr("auto", text, FORMS));
  }

  @Override
  public String toString() {
    return Values.countOr("auto", fixed);
  }
}
