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
