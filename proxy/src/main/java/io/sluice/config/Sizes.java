package io.sluice.config;

import java.util.Locale;

/** The byte-size syntax of flags and YAML: an integer with an optional unit (B, KB, MB, GB, KiB, MiB, GiB). */
public final class Sizes {

  /** What {@link #parse} accepts, for error messages. */
  public static final String FORMS = "a size such as 65536, 512KiB, 100MB or 1GiB";

  private Sizes() {
  }

  /**
   * Parses a byte count; decimal units are powers of 1000, binary ones of 1024.
   *
   * @throws IllegalArgumentException naming what was expected
   */
  public static long parse(String text) {
    String s = text.trim();
    int i = 0;
    while (i < s.length() && Character.isDigit(s.charAt(i))) {
      i++;
    }
    if (i == 0 || i > 15) {
      throw new IllegalArgumentException("\"" + text + "\" (expected: " + FORMS + ")");
    }
    long n = Long.parseLong(s.substring(0, i));
    long unit;
    switch (s.substring(i).trim().toUpperCase(Locale.ROOT)) {
      case "":
      case "B":
        unit = 1;
        break;
      case "KB":
        unit = 1000;
        break;
      case "MB":
        unit = 1000 * 1000;
        break;
      case "GB":
        unit = 1000L * 1000 * 1000;
        break;
      case "KIB":
        unit = 1024;
        break;
      case "MIB":
        unit = 1024 * 1024;
        break;
      case "GIB":
        unit = 1024L * 1024 * 1024;
        break;
      default:
        throw new IllegalArgumentException("\"" + text + "\" (expected: " + FORMS + ")");
    }
    if (n > Long.MAX_VALUE / unit) {
      throw new IllegalArgumentException("\"" + text + "\" is too large");
    }
    return n * unit;
  }
}
