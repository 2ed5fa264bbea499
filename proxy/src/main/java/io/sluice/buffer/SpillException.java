package io.sluice.buffer;

import java.io.IOException;

/** A spill file could not be created, written or read. */
public final class SpillException extends IOException {

  public SpillException(String message, Throwable cause) {
    super(message, cause);
  }
}
