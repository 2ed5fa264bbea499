package io.sluice.backend.uwsgi;

/**
 * A request's uwsgi variables do not fit what the backend accepts, so the request is not sent; the proxy answers
 * {@code 431 Request Header Fields Too Large}. The message tells the operator what to change.
 */
public final class VarsTooLargeException extends Exception {

  private final int size;
  private final int limit;

  VarsTooLargeException(int size, int limit, boolean protocolLimit) {
    super(message(size, limit, protocolLimit), null, false, false);
    this.size = size;
    this.limit = limit;
  }

  /** Bytes the variables block would take (the 4-byte packet header not included). */
  public int size() {
    return size;
  }

  /** The most bytes the variables block may take for this backend. */
  public int limit() {
    return limit;
  }

  private static String message(int size, int limit, boolean protocolLimit) {
    if (protocolLimit) {
      return "the request's uwsgi variables take " + size + " bytes, over the uwsgi protocol's limit of " + limit
          + " bytes: its headers are too large to be sent to a uwsgi backend";
    }
    return "the request's uwsgi variables take " + size + " bytes, over the backend's buffer size of " + limit
        + " bytes (uWSGI would drop the request): raise uWSGI's --buffer-size and Sluice's bufferSize for this"
        + " backend to at least " + size;
  }
}
