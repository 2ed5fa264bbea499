package io.sluice.backend;

/** A backend sent bytes that are not a valid HTTP/1.x response, or closed the connection in the middle of one. */
public final class MalformedResponseException extends Exception {

  public MalformedResponseException(String message) {
    super(message, null, false, false);
  }
}
