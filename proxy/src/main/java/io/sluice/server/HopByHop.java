package io.sluice.server;

import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;

/**
 * The headers that belong to one connection and are never forwarded, either way (RFC 9110 §7.6.1): the fixed ones,
 * and those a message's {@code Connection} header names. Stateless.
 */
final class HopByHop {

  private static final AsciiString[] NAMES = {
      AsciiString.cached("connection"), AsciiString.cached("keep-alive"), AsciiString.cached("proxy-connection"),
      AsciiString.cached("te"), AsciiString.cached("trailer"), AsciiString.cached("transfer-encoding"),
      AsciiString.cached("upgrade"),
  };

  private HopByHop() {
  }

  /** Whether {@code name} is hop-by-hop whatever the message says. */
  static boolean is(String name) {
    return among(NAMES, name);
  }

  /** Whether {@code name} is one of {@code names}, ignoring case. */
  static boolean among(AsciiString[] names, String name) {
    for (AsciiString n : names) {
      if (n.contentEqualsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  /** The header names {@code Connection} lists (every value of it), or {@code null} when it lists none. */
  static List<String> connectionTokens(MultiMap headers) {
    List<String> values = headers.getAll(HttpHeaders.CONNECTION);
    if (values.isEmpty()) {
      return null;
    }
    List<String> tokens = null;
    for (String v : values) {
      for (String t : v.split(",")) {
        String token = t.trim();
        if (!token.isEmpty() && !token.equalsIgnoreCase("close") && !token.equalsIgnoreCase("keep-alive")) {
          if (tokens == null) {
            tokens = new ArrayList<>(2);
          }
          tokens.add(token);
        }
      }
    }
    return tokens;
  }

  /** Whether {@code name} is among the {@link #connectionTokens} (none when {@code null}). */
  static boolean listed(List<String> named, String name) {
    if (named == null) {
      return false;
    }
    for (String n : named) {
      if (n.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }
}
