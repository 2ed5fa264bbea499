package io.sluice.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails an integration test class when Sluice's log shows an unhandled exception or a stack trace while it ran: a
 * record from Sluice's, Vert.x's or Netty's loggers that carries a throwable, or says "Unhandled exception" (what
 * Vert.x logs for an exception no handler took). An expected event (a client leaving, a backend restarting) is a clean
 * path and logs at most one line without a stack.
 *
 * <p>Sluice logs through {@code System.Logger}, which the JDK routes to {@code java.util.logging}, as Vert.x and Netty
 * do here; this installs one handler on the root logger for the whole run. Registered for every test class by JUnit's
 * extension auto-detection (the failsafe plugin turns it on, and {@code META-INF/services} names this class); it acts
 * on the classes of this package only. The check runs after the class's own {@code @AfterAll}, so what Sluice logs
 * while stopping counts too.
 */
public final class LogWatch implements BeforeAllCallback, AfterAllCallback {

  /**
   * Records that are expected and allowed, as "logger name: message start". None so far: anything logged with a
   * stack trace is either a bug or an expected event that deserves a clean path.
   */
  static final Set<String> ALLOWED = Set.of();

  private static final List<String> WATCHED = List.of("io.sluice", "io.vertx", "io.netty");
  private static final Recorder RECORDER = new Recorder();

  @Override
  public void beforeAll(ExtensionContext context) {
    if (!watched(context)) {
      return;
    }
    RECORDER.install();
    RECORDER.take();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (!watched(context)) {
      return;
    }
    List<String> seen = RECORDER.take();
    if (!seen.isEmpty()) {
      fail(seen.size() + " unhandled exception(s) or stack trace(s) in Sluice's log during "
          + context.getRequiredTestClass().getSimpleName() + ":\n" + String.join("\n", seen));
    }
  }

  private static boolean watched(ExtensionContext context) {
    return context.getTestClass().map(c -> c.getPackageName().equals(LogWatch.class.getPackageName()))
        .orElse(false);
  }

  /** Whether a record is one the suite must not see. */
  static boolean offending(LogRecord r) {
    String name = r.getLoggerName() == null ? "" : r.getLoggerName();
    if (WATCHED.stream().noneMatch(name::startsWith)) {
      return false;
    }
    String message = r.getMessage() == null ? "" : r.getMessage();
    if (r.getThrown() == null && !message.contains("Unhandled exception")) {
      return false;
    }
    return ALLOWED.stream().noneMatch(allowed -> (name + ": " + message).startsWith(allowed));
  }

  /** The handler on the root logger; thread-safe. */
  private static final class Recorder extends Handler {

    private final List<String> seen = new ArrayList<>();

    Recorder() {
      setLevel(Level.ALL);
    }

    /** (Re-)attaches to the root logger, in case something reset the logging configuration since. */
    synchronized void install() {
      Logger root = Logger.getLogger("");
      for (Handler h : root.getHandlers()) {
        if (h == this) {
          return;
        }
      }
      root.addHandler(this);
    }

    synchronized List<String> take() {
      List<String> out = List.copyOf(seen);
      seen.clear();
      return out;
    }

    @Override
    public void publish(LogRecord r) {
      if (!offending(r)) {
        return;
      }
      StringBuilder sb = new StringBuilder().append(r.getLevel()).append(' ').append(r.getLoggerName()).append(": ")
          .append(r.getMessage());
      Throwable t = r.getThrown();
      if (t != null) {
        sb.append(" (").append(t).append(')');
        StackTraceElement[] stack = t.getStackTrace();
        for (int i = 0; i < Math.min(6, stack.length); i++) {
          sb.append("\n    at ").append(stack[i]);
        }
      }
      synchronized (this) {
        seen.add(sb.toString());
      }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  }
}
