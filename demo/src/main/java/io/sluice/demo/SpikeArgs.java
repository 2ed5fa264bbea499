package io.sluice.demo;

import io.sluice.cli.Args;
import io.sluice.cli.Option;
import io.sluice.config.Durations;
import java.time.Duration;
import java.util.List;

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

  private static final Option CONNECTIONS = Option.value("--connections", "N", "an integer >= 1").alias("-c");
  private static final Option PATH = Option.value("--path", "PATH", "a path starting with /");
  private static final Option TIMEOUT = Option.value("--timeout", "DURATION", Durations.FORMS);
  private static final Option JSON = Option.flag("--json");
  private static final String HINT =
      "(expected: -c/--connections N, --path PATH, --timeout DURATION, --json, --help)";

  static SpikeArgs parse(String[] argv) {
    Args args = Args.parse(argv, List.of(CONNECTIONS, PATH, TIMEOUT, JSON), HINT);
    if (args.help()) {
      return new SpikeArgs(null, null, false, true);
    }
    String path = null;
    int connections = Spike.Options.DEFAULTS.connections();
    Duration timeout = Spike.Options.DEFAULTS.timeout();
    boolean json = false;
    for (Args.Given g : args.given()) {
      if (g.is(CONNECTIONS)) {
        connections = g.parse(SpikeArgs::connections);
      } else if (g.is(PATH)) {
        path = g.parse(SpikeArgs::path);
      } else if (g.is(TIMEOUT)) {
        timeout = g.parse(SpikeArgs::timeout);
      } else {
        json = true;
      }
    }
    List<String> operands = args.operands();
    if (operands.isEmpty()) {
      throw new IllegalArgumentException("no TARGET given (expected: " + Spike.Target.FORMS + ")");
    }
    if (operands.size() > 1) {
      throw new IllegalArgumentException(
          "one TARGET expected, got \"" + operands.get(0) + "\" and \"" + operands.get(1) + "\"");
    }
    Spike.Target target;
    try {
      target = Spike.Target.parse(operands.get(0));
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

  private static int connections(String value) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below with what is accepted
    }
    throw new IllegalArgumentException("\"" + value + "\" (expected: an integer >= 1)");
  }

  private static String path(String value) {
    if (!value.startsWith("/")) {
      throw new IllegalArgumentException("\"" + value + "\" (expected: a path starting with /)");
    }
    return value;
  }

  private static Duration timeout(String value) {
    Duration timeout = Durations.parse(value);
    if (timeout.isZero()) {
      throw new IllegalArgumentException("\"" + value + "\" (expected: more than 0)");
    }
    return timeout;
  }
}
