package io.sluice.admin;

import io.sluice.net.HttpStatusException;

/**
 * New limits were refused; nothing changed. The message names the field and what is accepted; the status is 400 for a
 * refused value, 404 for an unknown backend, 500 when the kernel refused a change.
 */
public final class InvalidLimitsException extends HttpStatusException {

  public InvalidLimitsException(int status, String message) {
    super(status, message);
  }
}
