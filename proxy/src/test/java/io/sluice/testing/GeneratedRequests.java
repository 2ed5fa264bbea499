package io.sluice.testing;

import io.sluice.backend.HttpChars;
import io.sluice.backend.RequestHead;
import io.vertx.core.MultiMap;
import java.util.Map;
import java.util.Random;

/**
 * Request heads for the encoders' property tests: mostly well-formed, with the characters that break a request
 * (CR, LF, NUL, spaces, colons, underscores, controls, characters past U+00FF and lone surrogates) mixed into two heads
 * in three, often enough that those tries meet one somewhere.
 */
public final class GeneratedRequests {

  /** Characters chosen more often than their share: each is a way a head has been broken. */
  private static final char[] NASTY = {'\r', '\n', 0, ' ', '\t', ':', '_', '%', '?', '#', ',', ';', '"', '\\', 0x7f,
      0x01, 0x0b, 0x85, 0xa0, 0xe9, 0xff, 0x100, 0x20ac, 0xd800, 0xdfff, 0xfeff};
  private static final String TOKEN_CHARS =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$&'*+.^`|~_";
  private static final String PATH_CHARS = "abcxyz0129-._~/%+=&;:@!$'()*,";
  private static final String[] ESCAPES = {"%00", "%0d%0A", "%2F", "%25", "%zz", "%4", "%C3%A9", "%ff", "%2e%2e"};
  private static final String[] NAMES = {"Host", "Content-Type", "Content-Length", "Transfer-Encoding", "Cookie",
      "X-Forwarded-For", "Accept", "User-Agent", "Proxy", "X-Request-Start", "cookie", "HOST", "x-multi", "X-Multi"};

  private GeneratedRequests() {
  }

  /** A head; one in three has none of the nasty characters, so that the encoders' output is exercised too. */
  public static RequestHead head(Random r) {
    int nasty = r.nextInt(3) == 0 ? 0 : 20;
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    int n = r.nextInt(r.nextInt(10) == 0 ? 60 : 12);
    for (int i = 0; i < n; i++) {
      headers.add(name(r, nasty), text(r, r.nextInt(4) == 0 ? 0 : 40, "", nasty));
    }
    RequestHead.Peer peer = Fuzz.oneOf(r, new RequestHead.Peer("10.0.0.1", 5555, "127.0.0.1", 8080),
        new RequestHead.Peer("", 0, "", 0), new RequestHead.Peer("2001:db8::1", 1, "::1", 443));
    long length = Fuzz.oneOf(r, -1L, 0L, (long) r.nextInt(1 << 20), Long.MAX_VALUE);
    return new RequestHead(method(r, nasty), uri(r, nasty), Fuzz.oneOf(r, "http", "https"), headers, length, peer,
        Fuzz.oneOf(r, "HTTP/1.1", "HTTP/1.0"), r.nextLong());
  }

  private static String method(Random r, int nasty) {
    if (r.nextInt(4) > 0) {
      return Fuzz.oneOf(r, "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH");
    }
    return text(r, 8, TOKEN_CHARS, nasty);
  }

  private static String uri(Random r, int nasty) {
    switch (r.nextInt(6)) {
      case 0:
        return nasty == 0 ? "/" : text(r, 30, "", nasty);
      case 1:
        return "*";
      default:
        String escape = Fuzz.oneOf(r, ESCAPES);
        return "/" + text(r, 20, PATH_CHARS, nasty) + (nasty == 0 && escape.equals("%00") ? "" : escape)
            + text(r, 20, PATH_CHARS, nasty) + (r.nextBoolean() ? "?" + text(r, 20, PATH_CHARS + "?", nasty) : "");
    }
  }

  private static String name(Random r, int nasty) {
    if (r.nextInt(3) == 0) {
      return Fuzz.oneOf(r, NAMES);
    }
    return text(r, 12, nasty > 0 && r.nextInt(5) == 0 ? "" : TOKEN_CHARS, nasty);
  }

  /**
   * Up to {@code max} characters: from {@code alphabet} mostly, one of the nasty ones one time in {@code nasty} (never
   * when it is 0), or, when {@code alphabet} is empty, printable ASCII, Latin-1 and anything up to U+FFFF.
   */
  private static String text(Random r, int max, String alphabet, int nasty) {
    int length = max == 0 ? 0 : r.nextInt(max + 1);
    StringBuilder s = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      if (nasty > 0 && r.nextInt(nasty) == 0) {
        s.append(NASTY[r.nextInt(NASTY.length)]);
      } else if (alphabet.isEmpty()) {
        int pick = r.nextInt(20);
        char c = pick < 12 ? (char) (0x21 + r.nextInt(0x5e)) : (char) r.nextInt(pick < 18 ? 0x100 : 0x10000);
        s.append(nasty == 0 && (c == '\r' || c == '\n' || c == 0) ? ' ' : c);
      } else {
        s.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
    }
    return s.toString();
  }

  /** Whether a header value is one an encoder may send: no CR, LF or NUL. */
  public static boolean safeValue(String value) {
    return HttpChars.lineBreakOrNul(value) < 0;
  }

  /** Whether {@code s} is a non-empty token of ASCII characters. */
  public static boolean isToken(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 128 || !HttpChars.isToken(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** Whether a request target is one an encoder may send: not empty, no space, no control character. */
  public static boolean safeTarget(String uri) {
    if (uri.isEmpty()) {
      return false;
    }
    for (int i = 0; i < uri.length(); i++) {
      if (uri.charAt(i) <= ' ' || uri.charAt(i) == 0x7f) {
        return false;
      }
    }
    return true;
  }

  /** A head as a failure message shows it. */
  public static String show(RequestHead h) {
    StringBuilder s = new StringBuilder().append(Fuzz.escape(h.method())).append(' ').append(Fuzz.escape(h.uri()))
        .append(" length ").append(h.contentLength()).append(' ').append(h.scheme()).append(' ').append(h.peer());
    for (Map.Entry<String, String> e : h.headers()) {
      s.append("\n  ").append(Fuzz.escape(e.getKey())).append(": ").append(Fuzz.escape(e.getValue()));
    }
    return s.toString();
  }
}
