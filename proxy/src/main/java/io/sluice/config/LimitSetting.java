package io.sluice.config;

/** A backend's concurrency limit as configured: {@code auto} (adaptive) or a fixed number of requests in flight. */
public record LimitSetting(int fixed) {

  /** What {@link #parse} accepts, for error messages. */
  public static final String FORMS = "auto or an integer >= 1";

  public static final LimitSetting AUTO = new LimitSetting(-1);

  public LimitSetting {
    if (fixed < -1 || fixed == 0) {
      throw new IllegalArgumentException(fixed + " (expected: " + FORMS + ")");
    }
  }

  public static LimitSetting of(int fixed) {
    return new LimitSetting(fixed);
  }

  public boolean isAuto() {
    return fixed == -1;
  }

  /**
   * Parses {@code auto} or a positive integer.
   *
   * @throws IllegalArgumentException naming what was expected
   */
  public static LimitSetting parse(String text) {
    String s = text.trim();
    if (s.equals("auto")) {
      return AUTO;
    }
    try {
      int n = Integer.parseInt(s);
      if (n >= 1) {
        return new LimitSetting(n);
      }
    } catch (NumberFormatException ignored) {
      // reported below with the accepted forms
    }
    throw new IllegalArgumentException("\"" + text + "\" (expected: " + FORMS + ")");
  }

  @Override
  public String toString() {
    return isAuto() ? "auto" : Integer.toString(fixed);
  }
}
