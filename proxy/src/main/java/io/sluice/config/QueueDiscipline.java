package io.sluice.config;

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
    return Values.id(this);
  }

  /**
   * Parses {@code fifo} or {@code adaptive}.
   *
   * @throws IllegalArgumentException naming what was expected
   */
  public static QueueDiscipline parse(String text) {
    return Values.byId(values(), text, FORMS);
  }

  @Override
  public String toString() {
    return id();
  }
}
