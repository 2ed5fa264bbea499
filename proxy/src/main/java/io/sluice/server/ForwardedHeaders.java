package io.sluice.server;

import io.netty.util.AsciiString;
import io.sluice.backend.HttpChars;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Map;

/**
 * The headers a backend receives: the client's, minus the hop-by-hop ones (RFC 9110 §7.6.1: {@code Connection}, the
 * names it lists, {@code Keep-Alive}, {@code Proxy-Connection}, {@code TE}, {@code Trailer},
 * {@code Transfer-Encoding}, {@code Upgrade}, and {@code Proxy-Authorization}, which is meant for this hop), minus
 * the framing and expectation headers Sluice handles itself ({@code Content-Length}, {@code Expect}), plus
 * {@code X-Forwarded-For} (appended to), {@code X-Forwarded-Proto} (replaced) and {@code Forwarded} (appended to,
 * RFC 7239). {@code X-Forwarded-SSL} is dropped: some backends (uWSGI) read https from it, so a client must not
 * be able to claim it. {@code Host} is kept; a request without one gets the listener's address.
 */
final class ForwardedHeaders {

  /** Dropped besides the hop-by-hop headers. */
  private static final AsciiString[] DROPPED = {
      AsciiString.cached("proxy-authorization"), AsciiString.cached("content-length"), AsciiString.cached("expect"),
      AsciiString.cached("x-forwarded-proto"), AsciiString.cached("x-forwarded-ssl"),
  };
  private static final String X_FORWARDED_FOR = "X-Forwarded-For";
  private static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";
  private static final String FORWARDED = "Forwarded";

  private ForwardedHeaders() {
  }

  /**
   * @param in         the client's headers
   * @param clientIp   the client's address, or empty for a Unix-socket client (then only {@code Forwarded} records
   *                   it, as {@code for=unknown})
   * @param scheme     {@code http} or {@code https}
   * @param listenHost the listener's address as {@code host:port}, for a request without {@code Host}
   */
  static MultiMap forBackend(MultiMap in, String clientIp, String scheme, String listenHost) {
    // The client's headers were checked by the HTTP decoder and ours are built here: the map need not check again.
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    List<String> named = HopByHop.connectionTokens(in);
    String xff = null;
    String forwarded = null;
    String host = null;
    for (Map.Entry<String, String> e : in) {
      String name = e.getKey();
      if (HopByHop.is(name) || HopByHop.among(DROPPED, name) || HopByHop.listed(named, name)) {
        continue;
      }
      if (name.equalsIgnoreCase(X_FORWARDED_FOR)) {
        xff = xff == null ? e.getValue() : xff + ", " + e.getValue();
        continue;
      }
      if (name.equalsIgnoreCase(FORWARDED)) {
        forwarded = forwarded == null ? e.getValue() : forwarded + ", " + e.getValue();
        continue;
      }
      if (host == null && name.equalsIgnoreCase("host")) {
        host = e.getValue();
      }
      out.add(name, e.getValue());
    }
    if (host == null) {
      host = listenHost;
      out.add("Host", host);
    }
    if (!clientIp.isEmpty()) {
      out.add(X_FORWARDED_FOR, xff == null ? clientIp : xff + ", " + clientIp);
    } else if (xff != null) {
      out.add(X_FORWARDED_FOR, xff);
    }
    out.add(X_FORWARDED_PROTO, scheme);
    String element = "for=" + forNode(clientIp) + ";host=" + quoteIfNeeded(host) + ";proto=" + scheme;
    out.add(FORWARDED, forwarded == null ? element : forwarded + ", " + element);
    return out;
  }

  /** RFC 7239 §6: IPv6 addresses are bracketed and quoted; an unknown client is {@code unknown}. */
  private static String forNode(String ip) {
    if (ip.isEmpty()) {
      return "unknown";
    }
    return ip.indexOf(':') >= 0 ? "\"[" + ip + "]\"" : ip;
  }

  /** RFC 7239 §4: a value that is not a token (a host with a port, say) is a quoted string. */
  private static String quoteIfNeeded(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!HttpChars.isToken(c)) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
      }
    }
    return value;
  }
}
