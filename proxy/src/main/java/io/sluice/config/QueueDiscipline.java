package io.sluice.config;

import java.util.Locale;

/** How Sluice's queue serves and sheds under load. */
public enum QueueDiscipline {
  /** First in, first out; every request waits up to the queue timeout. */
  FIFO,
  /**
   * First in, first out while the queue absorbs a burst; under sustained overload it keeps only what drains within
   * the queue's target wait, serves the newest first and refuses the rest at once.
   */
  ADAPTIVE;

  /** What {@link #parse} accepts, for error messages. */
  public static final String FORMS = "fifo or adaptive";

  /** The name in configuration and the admin API. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses {@code fifo} or {@code adaptive}.
   *
   * @throws IllegalArgumentException naming what was expected
   */
  public static QueueDiscipline parse(String text) {
    for (QueueDiscipline d : values()) {
      if (d.id().equals(text.trim())) {
        return d;
      }
    }
    throw Values.expected(text, FORMS);
  }

  @Override
  public String toString() {
    return id();
  }
}
