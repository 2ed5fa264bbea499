package io.sluice.backend;

import io.vertx.core.MultiMap;
import java.util.Objects;

/**
 * What a backend is told about one request, captured once the client's whole body has arrived. Immutable by
 * contract: nobody changes {@code headers} after construction.
 *
 * @param method        the request method, as received
 * @param uri           the origin-form request target as received (raw path, then {@code ?} and the raw query)
 * @param scheme        {@code http} or {@code https}: how the client made the request, as far as Sluice believes it
 *                      (how it reached Sluice, or what a trusted proxy in front says in {@code X-Forwarded-Proto})
 * @param headers       the headers to forward, in order: hop-by-hop ones and names with {@code _} removed,
 *                      {@code X-Forwarded-For}, {@code X-Forwarded-Proto}, {@code Forwarded} and
 *                      {@code X-Request-Start} set, exactly one {@code Host}; never {@code Content-Length} or
 *                      {@code Transfer-Encoding} (framing is the encoder's job)
 * @param contentLength length of the body that follows, or {@code -1} when the request carries no body
 * @param peer          the client and the listener it came in on
 * @param protocol      the client's HTTP version as it names it ({@code HTTP/1.0} or {@code HTTP/1.1}): what a uwsgi
 *                      backend gets as {@code SERVER_PROTOCOL}
 * @param receivedAtMillis when Sluice received the request's head, in milliseconds since the epoch (0 when unknown):
 *                      what Sluice's {@code X-Request-Start} says
 */
public record RequestHead(String method, String uri, String scheme, MultiMap headers, long contentLength, Peer peer,
                          String protocol, long receivedAtMillis) {

  public RequestHead {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(headers, "headers");
    Objects.requireNonNull(peer, "peer");
  }

  /** A request of a client of that HTTP version, received at an unknown time. */
  public RequestHead(String method, String uri, String scheme, MultiMap headers, long contentLength, Peer peer,
      String protocol) {
    this(method, uri, scheme, headers, contentLength, peer, protocol, 0);
  }

  /** An HTTP/1.1 request, received at an unknown time. */
  public RequestHead(String method, String uri, String scheme, MultiMap headers, long contentLength, Peer peer) {
    this(method, uri, scheme, headers, contentLength, peer, "HTTP/1.1");
  }

  /** The raw path: {@link #uri} up to the first {@code ?}. */
  public String path() {
    int q = uri.indexOf('?');
    return q < 0 ? uri : uri.substring(0, q);
  }

  /** The raw query: {@link #uri} after the first {@code ?}, or empty. */
  public String query() {
    int q = uri.indexOf('?');
    return q < 0 ? "" : uri.substring(q + 1);
  }

  /**
   * Both ends of the client's connection.
   *
   * @param remoteAddr the client's IP address, or empty for a Unix-socket client
   * @param remotePort the client's port, or 0 for a Unix-socket client
   * @param localAddr  the listener's IP address, or empty for a Unix-socket listener
   * @param localPort  the listener's port, or 0 for a Unix-socket listener
   */
  public record Peer(String remoteAddr, int remotePort, String localAddr, int localPort) {
    public Peer {
      Objects.requireNonNull(remoteAddr, "remoteAddr");
      Objects.requireNonNull(localAddr, "localAddr");
    }
  }
}
