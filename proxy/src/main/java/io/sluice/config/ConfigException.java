package io.sluice.config;

/**
 * A configuration Sluice cannot start with: a bad flag, a bad value, or a YAML file it cannot read or accept.
 *
 * <p>The message is exactly one line that names where the problem is (the flag, or {@code FILE:LINE: key}) and what
 * is accepted instead, e.g. {@code --queue-max: "-3" (expected: max or an integer >= 1)}. It is meant to be printed
 * as it is, after which the process exits with status 2; line breaks and other control characters in values quoted
 * by the message are escaped so that it stays one line.
 *
 * <p>Unchecked so that it passes through the value parsers' functional interfaces; the methods that throw it say so.
 */
public final class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(oneLine(message));
  }

  private static String oneLine(String message) {
    StringBuilder sb = new StringBuilder(message.length());
    for (int i = 0; i < message.length(); i++) {
      char c = message.charAt(i);
      switch (c) {
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        default:
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    return sb.toString();
  }
}
