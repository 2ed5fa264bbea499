package io.sluice.demo;

import io.sluice.config.Durations;
import java.time.Duration;

/** The command line of {@code sluice spike}. Every error message is one line naming the argument and what is accepted. */
record SpikeArgs(Spike.Target target, Spike.Options options, boolean json, boolean help) {

  static final String USAGE = """
      usage: sluice spike [-c N] [--path PATH] [--timeout DURATION] [--json] TARGET
        TARGET              http://HOST:PORT/path or unix:/path/to.sock
        -c, --connections N requests fired at once, one connection each (default 2000; each needs a file descriptor)
        --path PATH         request path (default: the one in TARGET, else /)
        --timeout DURATION  longest time for one request, connect included (default 60s)
        --json              print the summary as one JSON object
      exit status: 0 every request got a 2xx response, 1 some did not, 2 wrong arguments
      """;

  private static final String OPTIONS = "-c/--connections N, --path PATH, --timeout DURATION, --json, --help";

  static SpikeArgs parse(String[] args) {
    String targetText = null;
    String path = null;
    int connections = Spike.Options.DEFAULTS.connections();
    Duration timeout = Spike.Options.DEFAULTS.timeout();
    boolean json = false;
    boolean onlyOperands = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (onlyOperands || !arg.startsWith("-") || arg.equals("-")) {
        if (targetText != null) {
          throw new IllegalArgumentException(
              "one TARGET expected, got \"" + targetText + "\" and \"" + arg + "\"");
        }
        targetText = arg;
        continue;
      }
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      switch (name) {
        case "--" -> onlyOperands = true;
        case "-h", "--help" -> {
          return new SpikeArgs(null, null, false, true);
        }
        case "--json" -> {
          if (value != null) {
            throw new IllegalArgumentException("--json takes no value");
          }
          json = true;
        }
        case "-c", "--connections" -> {
          if (value == null) {
            value = next(args, ++i, name, "an integer >= 1");
          }
          connections = parseConnections(name, value);
        }
        case "--path" -> {
          path = value != null ? value : next(args, ++i, name, "a path starting with /");
          if (!path.startsWith("/")) {
            throw new IllegalArgumentException(name + ": \"" + path + "\" (expected: a path starting with /)");
          }
        }
        case "--timeout" -> {
          if (value == null) {
            value = next(args, ++i, name, Durations.FORMS);
          }
          try {
            timeout = Durations.parse(value);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage());
          }
          if (timeout.isZero()) {
            throw new IllegalArgumentException(name + ": \"" + value + "\" (expected: more than 0)");
          }
        }
        default -> throw new IllegalArgumentException("unknown option \"" + arg + "\" (expected: " + OPTIONS + ")");
      }
    }
    if (targetText == null) {
      throw new IllegalArgumentException("no TARGET given (expected: " + Spike.Target.FORMS + ")");
    }
    Spike.Target target;
    try {
      target = Spike.Target.parse(targetText);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("TARGET " + e.getMessage());
    }
    if (path != null) {
      try {
        target = target.withPath(path);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--" + e.getMessage());
      }
    }
    return new SpikeArgs(target, new Spike.Options(connections, timeout), json, false);
  }

  private static String next(String[] args, int i, String name, String expected) {
    if (i >= args.length) {
      throw new IllegalArgumentException(name + " needs a value (expected: " + expected + ")");
    }
    return args[i];
  }

  private static int parseConnections(String name, String value) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below with what is accepted
    }
    throw new IllegalArgumentException(name + ": \"" + value + "\" (expected: an integer >= 1)");
  }
}
