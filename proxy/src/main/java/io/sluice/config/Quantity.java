package io.sluice.config;

/**
 * A whole number followed by a unit, as durations ({@code 500ms}) and sizes ({@code 512KiB}) are written.
 *
 * @param number the digits' value
 * @param unit   what follows the digits, as written
 */
record Quantity(long number, String unit) {

  /**
   * Splits {@code text} (surrounding white space ignored) into its leading digits and the rest.
   *
   * @param maxDigits more digits than this are refused, so that the number fits a {@code long} with room to scale
   * @throws IllegalArgumentException as {@code "TEXT" (expected: FORMS)} when it does not start with a digit
   */
  static Quantity parse(String text, int maxDigits, String forms) {
    String s = text.trim();
    int i = 0;
    while (i < s.length() && Character.isDigit(s.charAt(i))) {
      i++;
    }
    if (i == 0 || i > maxDigits) {
      throw Values.expected(text, forms);
    }
    return new Quantity(Long.parseLong(s.substring(0, i)), s.substring(i));
  }
}
