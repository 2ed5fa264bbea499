package io.sluice.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The arguments of one command, read by the rules every Sluice command shares:
 * <ul>
 *   <li>{@code --name value} and {@code --name=value}; a short alias ({@code -c 10}) takes its value from the next
 *       argument. An argument that starts with {@code --}, or is {@code -h}, is never taken as a value: write
 *       {@code --name=--value} for that.</li>
 *   <li>{@code -h} and {@code --help} ask for the usage text, whatever else is there.</li>
 *   <li>{@code --} ends the options: what follows is operands, as is any argument that does not start with
 *       {@code -} (and {@code -} alone).</li>
 *   <li>Errors name the option as typed: {@code unknown option --foo HINT}, {@code --listen: missing value
 *       (expected: FORMS)}, {@code --json: "yes" (expected: no value)}; the first one is reported.</li>
 * </ul>
 * What the values and operands mean is the command's business. Immutable.
 */
public final class Args {

  private static final Option HELP = Option.flag("--help").alias("-h");

  private final List<Given> given;
  private final List<String> operands;
  private final boolean help;
  private final String error;

  /**
   * One option as given.
   *
   * @param typed how it was typed ({@code -c} or {@code --connections}), for error messages
   * @param value its value, or {@code null} for an option that takes none
   */
  public record Given(Option option, String typed, String value) {

    /**
     * The value through {@code parser}; its {@link IllegalArgumentException} becomes a {@link UsageException}
     * prefixed with the option, as in {@code --queue-max: "-3" (expected: max or an integer >= 1)}.
     */
    public <T> T parse(Function<String, T> parser) {
      try {
        return parser.apply(value);
      } catch (IllegalArgumentException e) {
        throw new UsageException(typed + ": " + e.getMessage());
      }
    }

    public boolean is(Option o) {
      return option.equals(o);
    }
  }

  private Args(List<Given> given, List<String> operands, boolean help, String error) {
    this.given = List.copyOf(given);
    this.operands = List.copyOf(operands);
    this.help = help;
    this.error = error;
  }

  /**
   * Reads {@code args} (without the program and command names) against a command's options.
   *
   * @param unknownHint what follows {@code unknown option NAME} in that error, e.g. {@code (run sluice --help for the
   *                    options)}
   */
  public static Args parse(String[] args, List<Option> options, String unknownHint) {
    List<Given> given = new ArrayList<>();
    List<String> operands = new ArrayList<>();
    String error = null;
    boolean help = false;
    boolean onlyOperands = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (onlyOperands || !arg.startsWith("-") || arg.equals("-")) {
        operands.add(arg);
        continue;
      }
      if (arg.equals("--")) {
        onlyOperands = true;
        continue;
      }
      int eq = arg.startsWith("--") ? arg.indexOf('=') : -1;
      String name = eq < 0 ? arg : arg.substring(0, eq);
      String value = eq < 0 ? null : arg.substring(eq + 1);
      Option option = HELP.named(name) ? HELP : find(options, name);
      String problem = null;
      if (option == null) {
        problem = "unknown option " + name + " " + unknownHint;
      } else if (!option.takesValue() && value != null) {
        problem = name + ": \"" + value + "\" (expected: no value)";
      } else if (option.takesValue() && value == null) {
        if (i + 1 < args.length && !isOption(args[i + 1])) {
          value = args[++i];
        } else {
          problem = name + ": missing value (expected: " + option.forms() + ")";
        }
      }
      if (problem != null) {
        error = error == null ? problem : error;
      } else if (option == HELP) {
        help = true;
      } else {
        given.add(new Given(option, name, value));
      }
    }
    return new Args(given, operands, help, error);
  }

  /** Whether {@code -h} or {@code --help} was given; then nothing else need be checked. */
  public boolean help() {
    return help;
  }

  /** Whether {@code option} was given at least once. */
  public boolean has(Option option) {
    return given.stream().anyMatch(g -> g.is(option));
  }

  /**
   * The options as given, in order.
   *
   * @throws UsageException naming the first argument that could not be read
   */
  public List<Given> given() {
    if (error != null) {
      throw new UsageException(error);
    }
    return given;
  }

  /** The operands, in order. */
  public List<String> operands() {
    return operands;
  }

  private static Option find(List<Option> options, String name) {
    for (Option o : options) {
      if (o.named(name)) {
        return o;
      }
    }
    return null;
  }

  /** {@code -h} and {@code --anything} are options; {@code -3} may be a (wrong) value. */
  private static boolean isOption(String arg) {
    return arg.startsWith("--") || arg.equals("-h");
  }
}
