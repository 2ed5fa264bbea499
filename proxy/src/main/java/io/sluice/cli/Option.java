package io.sluice.cli;

import java.util.Objects;

/**
 * One option of a command.
 *
 * @param name    as typed, such as {@code --queue-max}
 * @param alias   a short form such as {@code -c}, or {@code null}
 * @param metavar the value's placeholder in usage texts, or {@code null} when the option takes no value
 * @param forms   what the value may be, for error messages ({@code null} when it takes none)
 */
public record Option(String name, String alias, String metavar, String forms) {

  public Option {
    Objects.requireNonNull(name, "name");
    if (!name.startsWith("--")) {
      throw new IllegalArgumentException("name: \"" + name + "\" (expected: --NAME)");
    }
  }

  /** An option that takes a value. */
  public static Option value(String name, String metavar, String forms) {
    return new Option(name, null, Objects.requireNonNull(metavar, "metavar"), Objects.requireNonNull(forms, "forms"));
  }

  /** An option that takes no value. */
  public static Option flag(String name) {
    return new Option(name, null, null, null);
  }

  /** The same option, also accepted as {@code alias}. */
  public Option alias(String shortForm) {
    return new Option(name, shortForm, metavar, forms);
  }

  public boolean takesValue() {
    return metavar != null;
  }

  boolean named(String typed) {
    return name.equals(typed) || typed.equals(alias);
  }
}
