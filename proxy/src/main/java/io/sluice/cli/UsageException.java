package io.sluice.cli;

/** A wrong command-line argument; the message is one line naming it and what is accepted. */
public final class UsageException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message, null, false, false);
  }
}
