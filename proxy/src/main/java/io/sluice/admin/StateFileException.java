package io.sluice.admin;

/** The state file cannot be used: its message is one line naming the file and the problem. */
public final class StateFileException extends Exception {

  private final boolean usage;

  StateFileException(String message, boolean usage) {
    super(message, null, false, false);
    this.usage = usage;
  }

  /** Whether the file's content or place is wrong (exit status 2) rather than unreadable (exit status 1). */
  public boolean usage() {
    return usage;
  }
}
