package io.sluice.admin;

/** New limits were refused; nothing changed. The message names the field and what is accepted. */
public final class InvalidLimitsException extends Exception {

  private final int status;

  public InvalidLimitsException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  /** 400 for a refused value, 404 for an unknown backend, 500 when the kernel refused a change. */
  public int status() {
    return status;
  }
}
