package io.sluice.log;

import java.util.logging.LogManager;

/**
 * The JDK's {@link LogManager} resets (closes every handler) in a shutdown hook of its own, concurrently with
 * Sluice's drain, which would silence what the drain logs. This one leaves the reset to Sluice, which calls
 * {@link #resetFinally} once it is done. Installed through {@code java.util.logging.manager} before any logging.
 */
public final class ShutdownSafeLogManager extends LogManager {

  private static volatile boolean finalReset;

  @Override
  public void reset() {
    if (finalReset || !shuttingDown()) {
      super.reset();
    }
  }

  /** Flushes and closes the handlers after the last word. */
  public static void resetFinally() {
    finalReset = true;
    LogManager.getLogManager().reset();
  }

  private static boolean shuttingDown() {
    try {
      Thread hook = new Thread(() -> { });
      Runtime.getRuntime().addShutdownHook(hook);
      Runtime.getRuntime().removeShutdownHook(hook);
      return false;
    } catch (IllegalStateException shutdownInProgress) {
      return true;
    }
  }
}
