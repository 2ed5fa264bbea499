package io.sluice.server;

import io.sluice.backend.HttpChars;
import io.vertx.core.MultiMap;
import java.util.Map;
import java.util.Set;

/**
 * The headers a backend receives, in one pass over the client's:
 * <ul>
 *   <li>Left out: the hop-by-hop headers (RFC 9110 §7.6.1: {@code Connection}, the names it lists, {@code Keep-Alive},
 *       {@code Proxy-Connection}, {@code TE}, {@code Trailer}, {@code Transfer-Encoding}, {@code Upgrade}), and
 *       {@code Proxy-Authorization}, which is meant for this hop; the framing and expectation headers Sluice handles
 *       itself ({@code Content-Length}, {@code Expect}); every name with an underscore, as nginx does by default
 *       ({@code underscores_in_headers off}): gunicorn reads {@code SCRIPT_NAME:} as its {@code SCRIPT_NAME} and
 *       {@code X_Forwarded_Proto} as one more {@code X-Forwarded-Proto}; {@code Proxy} (httpoxy, CVE-2016-5385);
 *       {@code X-Forwarded-Ssl} and {@code X-Forwarded-Protocol}, which gunicorn reads as a claim of https
 *       ({@code secure_scheme_headers}).</li>
 *   <li>{@code Host}: the first one ({@code RequestHeads} refuses a request with two); the target's authority instead
 *       for an absolute-form target (RFC 9112 §3.2.2); the listener's address for a request without one.</li>
 *   <li>From a trusted proxy, its {@code X-Forwarded-For} with the peer appended, its {@code X-Forwarded-Proto},
 *       {@code X-Forwarded-Host} and {@code X-Request-Start} as they are, and its {@code Forwarded} with Sluice's
 *       element appended (RFC 7239). From anyone else these are replaced: {@code X-Forwarded-For} is the peer,
 *       {@code X-Forwarded-Proto} the scheme the client used, {@code Forwarded} Sluice's element alone,
 *       {@code X-Request-Start} Sluice's stamp, and there is no {@code X-Forwarded-Host}.</li>
 * </ul>
 * A name {@code Connection} lists is removed unless it is one of those Sluice sets ({@code Host}, {@code Forwarded},
 * {@code X-Forwarded-*}, {@code X-Request-Start}): {@code Connection: X-Forwarded-For} cannot strip a proxy's chain.
 * Repeated forwarding headers are joined with {@code ", "}, in order; of {@code X-Request-Start} the first is kept.
 *
 * <p>The work is linear in the size of the header block, and nothing is allocated per header but what is forwarded.
 * Stateless.
 */
final class ForwardedHeaders {

  private static final String X_FORWARDED_FOR = "X-Forwarded-For";
  private static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";
  private static final String X_FORWARDED_HOST = "X-Forwarded-Host";
  private static final String FORWARDED = "Forwarded";
  private static final String X_REQUEST_START = "X-Request-Start";

  /** What a header is to this class: most are ORDINARY, forwarded as they are; DROPPED ones never are. */
  private enum Kind { ORDINARY, DROPPED, HOST, XFF, XFP, XFH, FWD, XRS }

  private static final HeaderNames<Kind> KINDS = HeaderNames.<Kind>none()
      .with(Kind.HOST, "host")
      .with(Kind.XFF, X_FORWARDED_FOR)
      .with(Kind.XFP, X_FORWARDED_PROTO)
      .with(Kind.XFH, X_FORWARDED_HOST)
      .with(Kind.FWD, FORWARDED)
      .with(Kind.XRS, X_REQUEST_START)
      .with(Kind.DROPPED, "proxy", "expect", "content-length", "x-forwarded-ssl", "proxy-authorization",
          "x-forwarded-protocol");

  private ForwardedHeaders() {
  }

  /**
   * The client's connection to Sluice, the hop a backend hears about.
   *
   * @param clientIp   the peer's address, or empty for a Unix-socket client (then no {@code X-Forwarded-For} is sent,
   *                   and {@code Forwarded} says {@code for=unknown})
   * @param scheme     {@code http} or {@code https}: how the peer reached Sluice
   * @param trusted    whether the peer is a trusted proxy, whose forwarding headers are kept
   * @param listenHost the listener's address as {@code host:port}, for a request without {@code Host}
   */
  record Hop(String clientIp, String scheme, boolean trusted, String listenHost) {
  }

  /**
   * @param headers what the backend receives
   * @param scheme  the scheme of the original request as far as Sluice believes it: the first value of a trusted
   *                proxy's {@code X-Forwarded-Proto} when that is {@code http} or {@code https}, else the hop's own
   */
  record Result(MultiMap headers, String scheme) {
  }

  /**
   * @param in           the client's headers
   * @param authority    the authority of an absolute-form target, which replaces {@code Host}; {@code null} for any
   *                     other target
   * @param requestStart Sluice's {@code X-Request-Start} value, or {@code null} to send none of its own
   */
  static Result forBackend(MultiMap in, Hop hop, String authority, String requestStart) {
    // The client's headers were checked by the HTTP decoder and ours are built here: the map need not check again.
    MultiMap out = MultiMap.caseInsensitiveMultiMap();
    Set<String> named = HopByHop.connectionTokens(in);
    String xff = null;
    String proto = null;
    String forwardedHost = null;
    String forwarded = null;
    String start = null;
    String host = null;
    for (Map.Entry<String, String> e : in) {
      String name = e.getKey();
      String value = e.getValue();
      switch (kind(name)) {
        case ORDINARY -> {
          if (name.indexOf('_') < 0 && !HopByHop.listed(named, name)) {
            out.add(name, value);
          }
        }
        case HOST -> {
          if (host == null) {
            host = authority != null ? authority : value;
            out.add(name, host);
          }
        }
        case XFF -> xff = join(xff, value);
        case XFP -> proto = join(proto, value);
        case XFH -> forwardedHost = join(forwardedHost, value);
        case FWD -> forwarded = join(forwarded, value);
        case XRS -> start = start == null ? value : start;
        case DROPPED -> {
          // never forwarded
        }
      }
    }
    if (host == null) {
      host = authority != null ? authority : hop.listenHost();
      out.add("Host", host);
    }
    boolean trusted = hop.trusted();
    String ip = hop.clientIp();
    // An empty chain is no chain: nginx's $proxy_add_x_forwarded_for is then the peer alone, not ", peer".
    String chain = trusted && xff != null && !xff.isBlank() ? xff : null;
    if (!ip.isEmpty()) {
      out.add(X_FORWARDED_FOR, chain == null ? ip : chain + ", " + ip);
    } else if (chain != null) {
      out.add(X_FORWARDED_FOR, chain);
    }
    boolean keepProto = trusted && proto != null;
    out.add(X_FORWARDED_PROTO, keepProto ? proto : hop.scheme());
    if (trusted && forwardedHost != null) {
      out.add(X_FORWARDED_HOST, forwardedHost);
    }
    String element = "for=" + forNode(ip) + ";host=" + quoteIfNeeded(host) + ";proto=" + hop.scheme();
    out.add(FORWARDED, trusted && forwarded != null ? forwarded + ", " + element : element);
    String stamp = trusted && start != null ? start : requestStart;
    if (stamp != null) {
      out.add(X_REQUEST_START, stamp);
    }
    return new Result(out, keepProto ? scheme(proto, hop.scheme()) : hop.scheme());
  }

  /** Which of the names this class treats apart {@code name} is. */
  private static Kind kind(String name) {
    return HopByHop.is(name) ? Kind.DROPPED : KINDS.kind(name, Kind.ORDINARY);
  }

  private static String join(String list, String value) {
    return list == null ? value : list + ", " + value;
  }

  /** The first element of an {@code X-Forwarded-Proto} list, when it is a scheme a backend knows; else {@code own}. */
  private static String scheme(String proto, String own) {
    int comma = proto.indexOf(',');
    String first = (comma < 0 ? proto : proto.substring(0, comma)).trim();
    if (first.equalsIgnoreCase("https")) {
      return "https";
    }
    return first.equalsIgnoreCase("http") ? "http" : own;
  }

  /** RFC 7239 §6: IPv6 addresses are bracketed and quoted; an unknown client is {@code unknown}. */
  private static String forNode(String ip) {
    if (ip.isEmpty()) {
      return "unknown";
    }
    return ip.indexOf(':') >= 0 ? "\"[" + ip + "]\"" : ip;
  }

  /** RFC 7239 §4: a value that is not a token (a host with a port, an empty one) is a quoted string. */
  private static String quoteIfNeeded(String value) {
    boolean token = !value.isEmpty();
    for (int i = 0; token && i < value.length(); i++) {
      token = HttpChars.isToken(value.charAt(i));
    }
    return token ? value : "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
