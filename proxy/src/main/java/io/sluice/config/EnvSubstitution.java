package io.sluice.config;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} in a configuration value by the environment variable {@code NAME}, and
 * {@code ${NAME:-default}} by the variable or, when it is unset or empty, by {@code default} (the shell's rule).
 * <code>$${</code> writes a literal <code>${</code>. Defaults do not nest.
 */
final class EnvSubstitution {

  /** The accepted forms, for error messages. */
  static final String FORMS = "${NAME} or ${NAME:-default}, and $${ for a literal ${";

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private EnvSubstitution() {
  }

  /**
   * Returns {@code text} with every reference replaced.
   *
   * @throws IllegalArgumentException naming the unset variable, or the malformed reference and the accepted forms
   */
  static String apply(String text, Map<String, String> env) {
    int ref = text.indexOf("${");
    if (ref < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int from = 0;
    while (ref >= 0) {
      if (ref > 0 && text.charAt(ref - 1) == '$') {
        out.append(text, from, ref - 1).append("${");
        from = ref + 2;
      } else {
        int end = text.indexOf('}', ref);
        if (end < 0) {
          throw malformed(text);
        }
        String body = text.substring(ref + 2, end);
        int dash = body.indexOf(":-");
        String name = dash < 0 ? body : body.substring(0, dash);
        if (!NAME.matcher(name).matches() || (dash >= 0 && body.indexOf("${", dash) >= 0)) {
          throw malformed(text);
        }
        String value = env.get(name);
        if (dash >= 0) {
          if (value == null || value.isEmpty()) {
            value = body.substring(dash + 2);
          }
        } else if (value == null) {
          throw new IllegalArgumentException("environment variable " + name
              + " is not set (expected: " + name + " in the environment, or ${" + name + ":-default} for a default)");
        }
        out.append(text, from, ref).append(value);
        from = end + 1;
      }
      ref = text.indexOf("${", from);
    }
    return out.append(text, from, text.length()).toString();
  }

  private static IllegalArgumentException malformed(String text) {
    return new IllegalArgumentException("\"" + text + "\" (expected: " + FORMS + ")");
  }
}
