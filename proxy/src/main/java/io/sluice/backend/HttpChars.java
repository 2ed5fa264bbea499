package io.sluice.backend;

/** The character classes of HTTP/1.x that the encoders and the response parser share. Stateless. */
public final class HttpChars {

  /** RFC 9110 §5.6.2 tchar, by byte value. */
  private static final boolean[] TOKEN = new boolean[256];

  static {
    for (int c = '0'; c <= '9'; c++) {
      TOKEN[c] = true;
    }
    for (int c = 'A'; c <= 'Z'; c++) {
      TOKEN[c] = true;
      TOKEN[c + ('a' - 'A')] = true;
    }
    for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
      TOKEN[c] = true;
    }
  }

  private HttpChars() {
  }

  /** Whether {@code c} may appear in a token (a method, a header name); anything outside 0-255 may not. */
  public static boolean isToken(int c) {
    return c >= 0 && c < 256 && TOKEN[c];
  }

  /**
   * The index of the first CR, LF or NUL in {@code s}, or -1: the characters that would end a header line early, or
   * cut a value short for a backend reading C strings, and so let a client smuggle something past it.
   */
  public static int lineBreakOrNul(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\r' || c == '\n' || c == 0) {
        return i;
      }
    }
    return -1;
  }

  /** A character as an error message names it: {@code a space}, or its code point, {@code U+000D}. */
  public static String describe(char c) {
    return c == ' ' ? "a space" : String.format("U+%04X", (int) c);
  }

  /** The value of a hexadecimal digit, or -1 when {@code b} is not one. */
  public static int hexDigit(byte b) {
    if (b >= '0' && b <= '9') {
      return b - '0';
    }
    if (b >= 'a' && b <= 'f') {
      return b - 'a' + 10;
    }
    if (b >= 'A' && b <= 'F') {
      return b - 'A' + 10;
    }
    return -1;
  }
}
