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
    Quantity q = Quantity.parse(text, 15, FORMS);
    long unit = switch (q.unit().trim().toUpperCase(Locale.ROOT)) {
      case "", "B" -> 1;
      case "KB" -> 1000;
      case "MB" -> 1000 * 1000;
      case "GB" -> 1000L * 1000 * 1000;
      case "KIB" -> 1024;
      case "MIB" -> 1024 * 1024;
      case "GIB" -> 1024L * 1024 * 1024;
      default -> throw Values.expected(text, FORMS);
    };
    if (q.number() > Long.MAX_VALUE / unit) {
      throw new IllegalArgumentException("\"" + text + "\" is too large");
    }
    return q.number() * unit;
  }
}
