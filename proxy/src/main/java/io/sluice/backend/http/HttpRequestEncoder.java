package io.sluice.backend.http;

import io.sluice.backend.RequestHead;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes the head of an HTTP/1.1 request to a backend: the request line, the headers of a {@link RequestHead} in
 * their order, then the framing.
 *
 * <p>Framing is this encoder's alone: {@code Content-Length: N} is added when {@link RequestHead#contentLength()} is
 * {@code >= 0} (exactly N body bytes follow the head), and any {@code Content-Length} or {@code Transfer-Encoding} among
 * the headers is left out, so a backend never sees two framings of one message. An empty {@code Host} is added when
 * the head has none (RFC 9112 §3.2 requires one in every HTTP/1.1 request).
 *
 * <p>Strings are written byte for byte: a string whose characters are all below U+0100 (what a server decoding bytes as
 * ISO-8859-1 produces) as those bytes, so what the client sent is forwarded unchanged; any other string as UTF-8.
 *
 * <p>Stateless and thread-safe. Each call returns a new buffer that the caller owns.
 */
public final class HttpRequestEncoder {

  private static final byte[] VERSION_CRLF = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EMPTY_HOST = "Host: \r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CONTENT_LENGTH = "Content-Length: ".getBytes(StandardCharsets.US_ASCII);

  /** RFC 9110 §5.6.2 tchar. */
  private static final boolean[] TOKEN = new boolean[128];

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

  private HttpRequestEncoder() {
  }

  /**
   * Encodes the request line and headers, ending with the empty line.
   *
   * @throws IllegalArgumentException when the method or a header name is not a token, the target contains a space or
   *                                  a control character, or a header value contains CR, LF or NUL: written as is they
   *                                  would let one request smuggle another header or request to the backend
   */
  public static Buffer encode(RequestHead head) {
    Buffer out = Buffer.buffer(512);
    String method = head.method();
    if (method.isEmpty() || !isToken(method)) {
      throw new IllegalArgumentException("method: \"" + method + "\" (expected: a token)");
    }
    appendString(out, method);
    out.appendByte((byte) ' ');
    String uri = head.uri();
    if (uri.isEmpty()) {
      throw new IllegalArgumentException("uri: \"\" (expected: a request target)");
    }
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        throw new IllegalArgumentException("uri: contains " + describe(c) + " (expected: no spaces or control characters)");
      }
    }
    appendString(out, uri);
    out.appendBytes(VERSION_CRLF);
    if (!head.headers().contains("Host")) {
      out.appendBytes(EMPTY_HOST);
    }
    for (Map.Entry<String, String> header : head.headers()) {
      String name = header.getKey();
      if (name.equalsIgnoreCase("Content-Length") || name.equalsIgnoreCase("Transfer-Encoding")) {
        continue;
      }
      if (name.isEmpty() || !isToken(name)) {
        throw new IllegalArgumentException("header name: \"" + name + "\" (expected: a token)");
      }
      String value = header.getValue();
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c == '\r' || c == '\n' || c == 0) {
          throw new IllegalArgumentException(
              "header " + name + ": value contains " + describe(c) + " (expected: no CR, LF or NUL)");
        }
      }
      appendString(out, name);
      out.appendByte((byte) ':').appendByte((byte) ' ');
      appendString(out, value);
      out.appendByte((byte) '\r').appendByte((byte) '\n');
    }
    if (head.contentLength() >= 0) {
      out.appendBytes(CONTENT_LENGTH);
      appendString(out, Long.toString(head.contentLength()));
      out.appendByte((byte) '\r').appendByte((byte) '\n');
    }
    return out.appendByte((byte) '\r').appendByte((byte) '\n');
  }

  private static boolean isToken(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 128 || !TOKEN[c]) {
        return false;
      }
    }
    return true;
  }

  private static String describe(char c) {
    return c == ' ' ? "a space" : String.format("U+%04X", (int) c);
  }

  private static void appendString(Buffer out, String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0xff) {
        out.appendBytes(s.getBytes(StandardCharsets.UTF_8));
        return;
      }
    }
    for (int i = 0; i < s.length(); i++) {
      out.appendByte((byte) s.charAt(i));
    }
  }
}
