package io.sluice.backend;

import io.sluice.net.HttpStatusException;

/** A request that cannot be sent to a backend as it is; the client gets {@link #status()} with the message. */
public final class RequestRefusedException extends HttpStatusException {

  public RequestRefusedException(int status, String message) {
    super(status, message);
  }
}
