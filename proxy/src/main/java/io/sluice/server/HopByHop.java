package io.sluice.server;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The headers that belong to one connection and are never forwarded, either way (RFC 9110 §7.6.1): the fixed ones,
 * and those a message's {@code Connection} header names. Stateless.
 */
final class HopByHop {

  private static final HeaderNames<Boolean> FIXED =
      HeaderNames.of("connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");

  private HopByHop() {
  }

  /**
   * Whether {@code name} is hop-by-hop whatever the message says: {@code Connection}, {@code Keep-Alive},
   * {@code Proxy-Connection}, {@code TE}, {@code Trailer}, {@code Transfer-Encoding}, {@code Upgrade}.
   */
  static boolean is(String name) {
    return FIXED.contains(name);
  }

  /**
   * The header names {@code Connection} lists (every value of it), in lower case, without {@code close} and
   * {@code keep-alive}; {@code null} when it lists none, the usual case, so that nothing is allocated for it. A set, so
   * that checking every header against it stays linear in the size of the header block.
   */
  static Set<String> connectionTokens(MultiMap headers) {
    List<String> values = headers.getAll(HttpHeaders.CONNECTION);
    if (values.isEmpty()) {
      return null;
    }
    Set<String> tokens = null;
    for (String v : values) {
      int n = v.length();
      int i = 0;
      while (i < n) {
        int comma = v.indexOf(',', i);
        int end = comma < 0 ? n : comma;
        int from = i;
        while (from < end && isWhitespace(v.charAt(from))) {
          from++;
        }
        int to = end;
        while (to > from && isWhitespace(v.charAt(to - 1))) {
          to--;
        }
        if (to > from && !is(v, from, to, "close") && !is(v, from, to, "keep-alive")) {
          if (tokens == null) {
            tokens = new HashSet<>();
          }
          tokens.add(v.substring(from, to).toLowerCase(Locale.ROOT));
        }
        i = end + 1;
      }
    }
    return tokens;
  }

  /** Whether {@code name} is among the {@link #connectionTokens} (none when {@code null}). */
  static boolean listed(Set<String> named, String name) {
    return named != null && named.contains(name.toLowerCase(Locale.ROOT));
  }

  private static boolean is(String s, int from, int to, String word) {
    return to - from == word.length() && s.regionMatches(true, from, word, 0, word.length());
  }

  private static boolean isWhitespace(char c) {
    return c == ' ' || c == '\t';
  }
}
