package io.sluice.runtime;

/** Sluice could not start; the message is one line. */
public final class StartupException extends Exception {

  private final boolean usage;

  StartupException(String message, boolean usage) {
    super(message, null, false, false);
    this.usage = usage;
  }

  /** Whether a setting was refused (exit status 2) rather than the start failing (exit status 1). */
  public boolean usage() {
    return usage;
  }
}
