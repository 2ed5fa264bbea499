package io.sluice.backend.http;

import io.sluice.backend.HttpChars;
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
    Bytes out = new Bytes(512);
    String method = head.method();
    if (method.isEmpty()) {
      throw new IllegalArgumentException("method: \"\" (expected: a token)");
    }
    out.token(method, "method");
    out.put((byte) ' ');
    String uri = head.uri();
    if (uri.isEmpty()) {
      throw new IllegalArgumentException("uri: \"\" (expected: a request target)");
    }
    out.target(uri);
    out.put(VERSION_CRLF);
    if (!head.headers().contains("Host")) {
      out.put(EMPTY_HOST);
    }
    for (Map.Entry<String, String> header : head.headers()) {
      String name = header.getKey();
      if (name.equalsIgnoreCase("Content-Length") || name.equalsIgnoreCase("Transfer-Encoding")) {
        continue;
      }
      if (name.isEmpty()) {
        throw new IllegalArgumentException("header name: \"\" (expected: a token)");
      }
      out.token(name, "header name");
      out.put((byte) ':');
      out.put((byte) ' ');
      out.value(name, header.getValue());
      out.put((byte) '\r');
      out.put((byte) '\n');
    }
    if (head.contentLength() >= 0) {
      out.put(CONTENT_LENGTH);
      out.latin1(Long.toString(head.contentLength()));
      out.put((byte) '\r');
      out.put((byte) '\n');
    }
    out.put((byte) '\r');
    out.put((byte) '\n');
    return Buffer.buffer(out.length).appendBytes(out.array, 0, out.length);
  }

  /**
   * A growable byte array: checking and copying each string in one pass over a plain array costs far less than a
   * {@code Buffer.appendByte} per character.
   */
  private static final class Bytes {
    byte[] array;
    int length;

    Bytes(int capacity) {
      array = new byte[capacity];
    }

    void put(byte b) {
      if (length == array.length) {
        grow(1);
      }
      array[length++] = b;
    }

    void put(byte[] bytes) {
      if (length + bytes.length > array.length) {
        grow(bytes.length);
      }
      System.arraycopy(bytes, 0, array, length, bytes.length);
      length += bytes.length;
    }

    /** A method or header name: a token, or it could smuggle something past the backend's parser. */
    void token(String s, String what) {
      int n = s.length();
      if (length + n > array.length) {
        grow(n);
      }
      for (int i = 0; i < n; i++) {
        char c = s.charAt(i);
        if (c >= 128 || !HttpChars.isToken(c)) {
          throw new IllegalArgumentException(what + ": \"" + s + "\" (expected: a token)");
        }
        array[length++] = (byte) c;
      }
    }

    /** The request target: no spaces or control characters. */
    void target(String s) {
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c <= ' ' || c == 0x7f) {
          throw new IllegalArgumentException("uri: contains " + HttpChars.describe(c)
              + " (expected: no spaces or control characters)");
        }
      }
      latin1(s);
    }

    /** A header value: no CR, LF or NUL. */
    void value(String name, String s) {
      int bad = HttpChars.lineBreakOrNul(s);
      if (bad >= 0) {
        throw new IllegalArgumentException("header " + name + ": value contains " + HttpChars.describe(s.charAt(bad))
            + " (expected: no CR, LF or NUL)");
      }
      latin1(s);
    }

    /** Characters up to U+00FF as those bytes, so what the client sent arrives unchanged; anything else as UTF-8. */
    void latin1(String s) {
      int n = s.length();
      if (length + n > array.length) {
        grow(n);
      }
      int start = length;
      for (int i = 0; i < n; i++) {
        char c = s.charAt(i);
        if (c > 0xff) {
          length = start;
          put(s.getBytes(StandardCharsets.UTF_8));
          return;
        }
        array[length++] = (byte) c;
      }
    }

    private void grow(int more) {
      array = java.util.Arrays.copyOf(array, Math.max(array.length * 2, length + more));
    }
  }
}
