package io.sluice.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** What the integration suite's log watch counts as an unhandled exception or a stack trace. */
class LogWatchTest {

  private static LogRecord record(String logger, String message, Throwable thrown) {
    LogRecord r = new LogRecord(Level.SEVERE, message);
    r.setLoggerName(logger);
    r.setThrown(thrown);
    return r;
  }

  @Test
  void aThrowableOrAnUnhandledExceptionFromSluiceVertxOrNettyOffends() {
    assertTrue(LogWatch.offending(record("io.vertx.core.impl.ContextImpl", "Unhandled exception", null)));
    assertTrue(LogWatch.offending(record("io.netty.channel.DefaultChannelPipeline", "x", new RuntimeException())));
    assertTrue(LogWatch.offending(record("io.sluice.admin.AdminServer", "failed", new RuntimeException())));
  }

  @Test
  void aOneLineMessageOrAnotherLibrarysRecordDoesNot() {
    assertFalse(LogWatch.offending(record("io.sluice.backend.Upstream", "backend app is not accepting connections",
        null)));
    assertFalse(LogWatch.offending(record("org.junit.Something", "x", new RuntimeException())));
  }
}
