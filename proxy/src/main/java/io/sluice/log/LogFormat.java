package io.sluice.log;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One line per log record on standard error: time, level, the logger's short name, the message; a throwable only
 * as its one-line description unless {@code SLUICE_LOG_STACKS} is set.
 */
public final class LogFormat extends Formatter {

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

  private final boolean stacks;

  private LogFormat(boolean stacks) {
    this.stacks = stacks;
  }

  /**
   * Sets up logging for a command: the {@link ShutdownSafeLogManager}, then this format at the level of
   * {@code SLUICE_LOG}. Call first thing in {@code main}, before anything logs.
   */
  public static void setUp() {
    System.setProperty("java.util.logging.manager", ShutdownSafeLogManager.class.getName());
    install(System.getenv("SLUICE_LOG"));
  }

  /** Routes every JUL logger (Sluice's, Vert.x's and Netty's) through this format at {@code level}. */
  static void install(String level) {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    Handler console = new ConsoleHandler();
    console.setFormatter(new LogFormat(System.getenv("SLUICE_LOG_STACKS") != null));
    console.setFilter(new DescriptorExhaustion());
    Level l = parse(level);
    console.setLevel(l);
    root.setLevel(l);
    root.addHandler(console);
  }

  private static Level parse(String level) {
    if (level == null) {
      return Level.INFO;
    }
    switch (level.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "debug":
        return Level.FINE;
      case "trace":
        return Level.FINEST;
      case "warn":
      case "warning":
        return Level.WARNING;
      case "error":
        return Level.SEVERE;
      default:
        return Level.INFO;
    }
  }

  @Override
  public String format(LogRecord r) {
    String name = r.getLoggerName() == null ? "" : r.getLoggerName();
    int dot = name.lastIndexOf('.');
    StringBuilder sb = new StringBuilder(128)
        .append(TIME.format(Instant.ofEpochMilli(r.getMillis()))).append(' ')
        .append(levelName(r.getLevel())).append(' ')
        .append(dot >= 0 ? name.substring(dot + 1) : name).append(": ")
        .append(formatMessage(r));
    Throwable t = r.getThrown();
    if (t != null) {
      if (stacks) {
        java.io.StringWriter w = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(w));
        sb.append(System.lineSeparator()).append(w);
      } else {
        sb.append(" (").append(t).append(')');
      }
    }
    return sb.append(System.lineSeparator()).toString();
  }

  private static String levelName(Level level) {
    if (level.intValue() >= Level.SEVERE.intValue()) {
      return "ERROR";
    }
    if (level.intValue() >= Level.WARNING.intValue()) {
      return "WARN ";
    }
    if (level.intValue() >= Level.INFO.intValue()) {
      return "INFO ";
    }
    return "DEBUG";
  }

  /**
   * Netty reports a failed accept(2) as an exception that "reached the tail of the pipeline", once a second while
   * descriptors are exhausted (it pauses accepting for a second each time). This turns it into one plain line
   * every ten seconds saying what happens and what to do.
   */
  static final class DescriptorExhaustion implements java.util.logging.Filter {
    private static final long INTERVAL_MILLIS = 10_000;
    private long lastMillis;
    private int suppressed;

    @Override
    public synchronized boolean isLoggable(LogRecord r) {
      Throwable t = r.getThrown();
      if (t == null || t.getMessage() == null || !t.getMessage().contains("Too many open files")) {
        return true;
      }
      if (r.getMillis() - lastMillis < INTERVAL_MILLIS && lastMillis != 0) {
        suppressed++;
        return false;
      }
      r.setLoggerName("Sluice");
      r.setLevel(Level.WARNING);
      r.setMessage("out of file descriptors: new connections wait in the listen queue and are accepted as others"
          + " close (" + (suppressed + 1) + " refusals in the last " + (lastMillis == 0 ? 0
          : (r.getMillis() - lastMillis) / 1000) + " s); raise the limit (ulimit -n, LimitNOFILE=) or lower"
          + " queue.max");
      r.setThrown(null);
      r.setParameters(null);
      lastMillis = r.getMillis();
      suppressed = 0;
      return true;
    }
  }
}
