package io.sluice.backend.uwsgi;

import io.sluice.backend.HttpChars;
import io.sluice.backend.RequestHead;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes the uwsgi packet that starts a request to a uWSGI {@code --socket}: the 4-byte header
 * ({@code u8 modifier1 = 0, u16le size, u8 modifier2 = 0}), then the variables ({@code u16le length, key, u16le length,
 * value} each). Exactly {@code CONTENT_LENGTH} body bytes follow it, raw.
 *
 * <p>The variables are those nginx's {@code conf/uwsgi_params} sends, in its order:
 * {@code QUERY_STRING, REQUEST_METHOD, CONTENT_TYPE, CONTENT_LENGTH, REQUEST_URI, PATH_INFO, SERVER_PROTOCOL,
 * REQUEST_SCHEME, HTTPS} (only {@code on}, for https), {@code REMOTE_ADDR, REMOTE_PORT, SERVER_ADDR, SERVER_PORT,
 * SERVER_NAME}, then {@code HTTP_*} for the headers. Where they differ from nginx's:
 * <ul>
 *   <li>{@code DOCUMENT_ROOT} is not sent: Sluice serves no files, and nginx's value is its own root, which would
 *       send uWSGI's static-file checks to a directory that means nothing here.</li>
 *   <li>{@code PATH_INFO} is the path percent-decoded to bytes ({@code +} stays {@code +}), without nginx's merging of
 *       slashes and dot segments: what gunicorn and uWSGI's own HTTP parser give an application.</li>
 *   <li>{@code SERVER_NAME} is the {@code Host} header without its port (nginx sends its configured name);
 *       {@code SERVER_PORT} is the listener's port, or on a Unix-socket listener the {@code Host} port, else 80 or 443:
 *       WSGI requires both to be non-empty.</li>
 *   <li>{@code CONTENT_TYPE} and {@code CONTENT_LENGTH} are not repeated as {@code HTTP_CONTENT_*} (RFC 3875 §4.1.18).
 *       {@code Transfer-Encoding} is never sent: uWSGI would read {@code HTTP_TRANSFER_ENCODING: chunked} as a chunked
 *       body ({@code core/protocol.c}), and the body is always sent with its length.</li>
 *   <li>Headers whose names hold anything but letters, digits and {@code -} are left out, as nginx
 *       ({@code underscores_in_headers off}) and gunicorn ({@code header_map = drop}) do by default: {@code X_Forwarded_For}
 *       would otherwise become the same {@code HTTP_X_FORWARDED_FOR} as the {@code X-Forwarded-For} Sluice sets.
 *       {@code Proxy} is left out too (httpoxy, CVE-2016-5385): CGI-style backends read {@code HTTP_PROXY} as a proxy
 *       setting.</li>
 *   <li>Repeated headers are joined, in order, with {@code ", "}, and {@code Cookie} with {@code "; "}, as nginx
 *       does.</li>
 * </ul>
 *
 * <p>Refused ({@link IllegalArgumentException}, a 400 for the client), as by the HTTP encoder: a method that is not a
 * token, a target with a space or a control character, a header value with CR, LF or NUL. Also a path with
 * {@code %00}, which nginx refuses: uWSGI and the app read {@code PATH_INFO} decoded. The packet is framed by
 * lengths, so none of these could forge a variable; they are refused because what the app does with a value (write it
 * into a header of its own, hand it to C code) must not depend on which protocol brought it.
 *
 * <p>Strings are written byte for byte: a string whose characters are all below U+0100 (what a server decoding bytes as
 * ISO-8859-1 produces) as those bytes, so uWSGI receives what the client sent; any other string as UTF-8.
 *
 * <p>Size: uWSGI reads the 4-byte header into a buffer of {@code --buffer-size + 4} bytes and drops the request, logging
 * {@code invalid request block size}, when the header's size field (the variables alone) is over {@code --buffer-size}
 * ({@code proto/uwsgi.c}, {@code uwsgi_proto_uwsgi_parser}). So the variables may take up to {@code bufferSize} bytes,
 * and never more than 65,535, the most the 16-bit size field can say.
 *
 * <p>Count: uWSGI keeps each variable's key and value in an iovec of {@code 4 * --max-vars} slots and drops the
 * request ({@code max vec size reached}) at the first variable that does not fit ({@code core/protocol.c},
 * {@code uwsgi_simple_parse_vars}): at most {@code 2 * maxVars} variables, 128 by default.
 *
 * <p>Immutable and thread-safe. Each call returns a new buffer that the caller owns.
 */
public final class UwsgiRequestEncoder {

  /** The most bytes of variables a uwsgi packet can carry: its size field has 16 bits. */
  public static final int MAX_VARS_SIZE = 65535;

  private static final int HEADER_SIZE = 4;

  private final int bufferSize;
  private final int maxVars;

  /**
   * @param bufferSize the backend's {@code --buffer-size}: the most bytes of variables it reads
   */
  public UwsgiRequestEncoder(int bufferSize) {
    this(bufferSize, 64);
  }

  /**
   * @param bufferSize the backend's {@code --buffer-size}: the most bytes of variables it reads
   * @param maxVars    the backend's {@code --max-vars}: it reads at most twice that many variables
   */
  public UwsgiRequestEncoder(int bufferSize, int maxVars) {
    if (bufferSize < 1) {
      throw new IllegalArgumentException("bufferSize: " + bufferSize + " (expected: > 0)");
    }
    if (maxVars < 1) {
      throw new IllegalArgumentException("maxVars: " + maxVars + " (expected: > 0)");
    }
    this.bufferSize = bufferSize;
    this.maxVars = maxVars;
  }

  /** The most bytes the variables of one request may take. */
  public int limit() {
    return Math.min(bufferSize, MAX_VARS_SIZE);
  }

  /**
   * Encodes the packet header and variables of one request.
   *
   * @throws VarsTooLargeException    when the variables take more than {@link #limit()} bytes, or are more than
   *                                  the backend reads
   * @throws IllegalArgumentException when the request cannot be forwarded safely (see the class's contract)
   */
  public Buffer encode(RequestHead head) throws VarsTooLargeException {
    checkRequestLine(head);
    Buffer out = Buffer.buffer(1024);
    out.appendByte((byte) 0).appendUnsignedShortLE(0).appendByte((byte) 0);

    String contentType = head.headers().get("Content-Type");
    if (contentType != null) {
      checkValue("Content-Type", contentType);
    }
    boolean https = head.scheme().equalsIgnoreCase("https");
    RequestHead.Peer peer = head.peer();
    String host = head.headers().get("Host");
    int hostEnd = host == null ? 0 : hostEnd(host);

    var(out, "QUERY_STRING", head.query());
    var(out, "REQUEST_METHOD", head.method());
    var(out, "CONTENT_TYPE", contentType == null ? "" : contentType);
    var(out, "CONTENT_LENGTH", head.contentLength() >= 0 ? Long.toString(head.contentLength()) : "");
    var(out, "REQUEST_URI", head.uri());
    key(out, "PATH_INFO");
    int lengthAt = startValue(out);
    appendPercentDecoded(out, head.path());
    endValue(out, lengthAt);
    var(out, "SERVER_PROTOCOL", head.protocol());
    var(out, "REQUEST_SCHEME", head.scheme());
    if (https) {
      var(out, "HTTPS", "on");
    }
    var(out, "REMOTE_ADDR", peer.remoteAddr());
    var(out, "REMOTE_PORT", peer.remotePort() > 0 ? Integer.toString(peer.remotePort()) : "");
    var(out, "SERVER_ADDR", peer.localAddr());
    var(out, "SERVER_PORT", serverPort(peer, host, hostEnd, https));
    var(out, "SERVER_NAME", serverName(peer, host, hostEnd));
    // The 13 variables above (14 with HTTPS), then one per header name.
    int count = (https ? 14 : 13) + headers(out, head);
    if (count > 2 * maxVars) {
      throw VarsTooLargeException.tooMany(count, maxVars);
    }

    int size = out.length() - HEADER_SIZE;
    if (size > limit()) {
      throw new VarsTooLargeException(size, limit(), bufferSize >= MAX_VARS_SIZE);
    }
    return out.setUnsignedShortLE(1, size);
  }

  /** Appends one variable per distinct header name, in the order the names first came; returns how many. */
  private static int headers(Buffer out, RequestHead head) {
    String[] names = new String[32];
    String[] values = new String[32];
    int count = 0;
    for (Map.Entry<String, String> header : head.headers()) {
      String name = header.getKey();
      if (!forwarded(name)) {
        continue;
      }
      String value = header.getValue();
      checkValue(name, value);
      if (count == names.length) {
        names = Arrays.copyOf(names, count * 2);
        values = Arrays.copyOf(values, count * 2);
      }
      names[count] = name;
      values[count++] = value;
    }
    HeaderGroups groups = new HeaderGroups(names, count);
    int distinct = 0;
    for (int i = 0; i < count; i++) {
      if (!groups.opens(i)) {
        continue;
      }
      distinct++;
      String name = names[i];
      out.appendUnsignedShortLE(5 + name.length());
      out.appendByte((byte) 'H').appendByte((byte) 'T').appendByte((byte) 'T').appendByte((byte) 'P')
          .appendByte((byte) '_');
      for (int c = 0; c < name.length(); c++) {
        char ch = name.charAt(c);
        out.appendByte((byte) (ch == '-' ? '_' : ch >= 'a' && ch <= 'z' ? ch - ('a' - 'A') : ch));
      }
      String separator = name.equalsIgnoreCase("Cookie") ? "; " : ", ";
      int lengthAt = startValue(out);
      appendString(out, values[i]);
      for (int j = groups.next(i); j >= 0; j = groups.next(j)) {
        appendString(out, separator);
        appendString(out, values[j]);
      }
      endValue(out, lengthAt);
    }
    return distinct;
  }

  /** A header value: no CR, LF or NUL, as for an HTTP backend (the app may write it into a header of its own). */
  private static void checkValue(String name, String value) {
    int bad = HttpChars.lineBreakOrNul(value);
    if (bad >= 0) {
      throw new IllegalArgumentException("header " + name + ": value contains " + HttpChars.describe(value.charAt(bad))
          + " (expected: no CR, LF or NUL)");
    }
  }

  /** The method, a token, and the target, without spaces or control characters: what an HTTP backend is sent. */
  private static void checkRequestLine(RequestHead head) {
    String method = head.method();
    boolean token = !method.isEmpty();
    for (int i = 0; token && i < method.length(); i++) {
      token = method.charAt(i) < 128 && HttpChars.isToken(method.charAt(i));
    }
    if (!token) {
      throw new IllegalArgumentException("method: \"" + method + "\" (expected: a token)");
    }
    String uri = head.uri();
    if (uri.isEmpty()) {
      throw new IllegalArgumentException("uri: \"\" (expected: a request target)");
    }
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        throw new IllegalArgumentException("uri: contains " + HttpChars.describe(c)
            + " (expected: no spaces or control characters)");
      }
    }
  }

  private static boolean forwarded(String name) {
    if (name.isEmpty()
        || name.equalsIgnoreCase("Content-Type")
        || name.equalsIgnoreCase("Content-Length")
        || name.equalsIgnoreCase("Transfer-Encoding")
        || name.equalsIgnoreCase("Proxy")) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  /** Where the host ends in a {@code Host} value: before {@code :port}, keeping an IPv6 literal's brackets. */
  private static int hostEnd(String host) {
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      return close < 0 ? host.length() : close + 1;
    }
    int colon = host.lastIndexOf(':');
    return colon < 0 ? host.length() : colon;
  }

  private static String serverName(RequestHead.Peer peer, String host, int hostEnd) {
    if (hostEnd > 0) {
      return host.substring(0, hostEnd);
    }
    String local = peer.localAddr();
    if (local.isEmpty()) {
      return "localhost";
    }
    return local.indexOf(':') >= 0 ? "[" + local + "]" : local;
  }

  private static String serverPort(RequestHead.Peer peer, String host, int hostEnd, boolean https) {
    if (peer.localPort() > 0) {
      return Integer.toString(peer.localPort());
    }
    if (host != null && hostEnd + 1 < host.length() && host.charAt(hostEnd) == ':') {
      String port = host.substring(hostEnd + 1);
      if (port.length() <= 5 && isDigits(port) && Integer.parseInt(port) <= 65535) {
        return port;
      }
    }
    return https ? "443" : "80";
  }

  private static boolean isDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return !s.isEmpty();
  }

  private static void var(Buffer out, String key, String value) {
    key(out, key);
    int lengthAt = startValue(out);
    appendString(out, value);
    endValue(out, lengthAt);
  }

  private static void key(Buffer out, String key) {
    out.appendUnsignedShortLE(key.length());
    appendString(out, key);
  }

  private static int startValue(Buffer out) {
    int at = out.length();
    out.appendUnsignedShortLE(0);
    return at;
  }

  /** A value over 65,535 bytes gets a wrong length here, but it also makes the block too large to be sent. */
  private static void endValue(Buffer out, int lengthAt) {
    out.setUnsignedShortLE(lengthAt, (out.length() - lengthAt - 2) & 0xffff);
  }

  /**
   * RFC 3986 §2.1 decoding; a {@code %} not followed by two hex digits stays as it is.
   *
   * @throws IllegalArgumentException for {@code %00}: nginx refuses it too, as uWSGI and apps read paths as C strings
   */
  private static void appendPercentDecoded(Buffer out, String path) {
    byte[] raw = bytes(path);
    for (int i = 0; i < raw.length; i++) {
      byte b = raw[i];
      if (b == '%' && i + 2 < raw.length) {
        int high = HttpChars.hexDigit(raw[i + 1]);
        int low = HttpChars.hexDigit(raw[i + 2]);
        if (high == 0 && low == 0) {
          throw new IllegalArgumentException("path: contains %00 (expected: no NUL)");
        }
        if (high >= 0 && low >= 0) {
          out.appendByte((byte) (high << 4 | low));
          i += 2;
          continue;
        }
      }
      out.appendByte(b);
    }
  }

  private static byte[] bytes(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0xff) {
        return s.getBytes(StandardCharsets.UTF_8);
      }
    }
    return s.getBytes(StandardCharsets.ISO_8859_1);
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
