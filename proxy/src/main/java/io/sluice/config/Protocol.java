package io.sluice.config;

/** The protocol Sluice speaks to a backend. */
public enum Protocol {
  /** HTTP/1.1, as to gunicorn or uWSGI's {@code --http-socket}. */
  HTTP,
  /** uWSGI's binary protocol, as nginx's {@code uwsgi_pass} speaks to uWSGI's {@code --socket}. */
  UWSGI;

  /** What {@link #parse} accepts, for error messages. */
  public static final String FORMS = "http or uwsgi";

  /** The name used in configuration and the admin API. */
  public String id() {
    return Values.id(this);
  }

  /**
   * Parses {@code http} or {@code uwsgi}.
   *
   * @throws IllegalArgumentException naming what was expected
   */
  public static Protocol parse(String text) {
    return Values.byId(values(), text, FORMS);
  }

  @Override
  public String toString() {
    return id();
  }
}
