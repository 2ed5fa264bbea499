package io.sluice;

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
final class LogFormat extends Formatter {

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

  private final boolean stacks;

  private LogFormat(boolean stacks) {
    this.stacks = stacks;
  }

  /** Routes every JUL logger (Sluice's, Vert.x's and Netty's) through this format at {@code level}. */
  static void install(String level) {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    Handler console = new ConsoleHandler();
    console.setFormatter(new LogFormat(System.getenv("SLUICE_LOG_STACKS") != null));
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
}
