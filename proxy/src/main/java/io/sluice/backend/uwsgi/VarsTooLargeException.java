package io.sluice.backend.uwsgi;

/**
 * A request's uwsgi variables do not fit what the backend accepts, so the request is not sent; the proxy answers
 * {@code 431 Request Header Fields Too Large}. The message tells the operator what to change.
 */
public final class VarsTooLargeException extends Exception {

  private final int size;
  private final int limit;

  VarsTooLargeException(int size, int limit, boolean protocolLimit) {
    this(message(size, limit, protocolLimit), size, limit);
  }

  private VarsTooLargeException(String message, int size, int limit) {
    super(message, null, false, false);
    this.size = size;
    this.limit = limit;
  }

  /** Too many variables rather than too many bytes: {@link #size()} and {@link #limit()} count variables. */
  static VarsTooLargeException tooMany(int count, int maxVars) {
    return new VarsTooLargeException("the request has " + count + " uwsgi variables, over the " + 2 * maxVars
        + " the backend reads (uWSGI drops it: its --max-vars is " + maxVars + "): send fewer headers, or raise"
        + " uWSGI's --max-vars and Sluice's maxVars for this backend to at least " + (count + 1) / 2, count,
        2 * maxVars);
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
