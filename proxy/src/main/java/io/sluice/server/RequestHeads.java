package io.sluice.server;

import io.sluice.backend.RequestHead;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;

/** What a backend is told of a client's request: its {@link RequestHead}, built from Vert.x's view of it. Stateless. */
final class RequestHeads {

  private RequestHeads() {
  }

  /**
   * Why the request's head cannot be forwarded, for a 400 before its body is read; {@code null} when it can. RFC 9112
   * §3.2: more than one {@code Host}; RFC 9110 §4.2: an absolute-form target with no host or with user information,
   * which an {@code http} URI must not carry.
   */
  static String refusal(HttpServerRequest request) {
    if (request.headers().getAll(HttpHeaders.HOST).size() > 1) {
      return "the request has more than one Host header (expected: one)";
    }
    String authority = authority(request.uri());
    if (authority != null) {
      if (authority.isEmpty()) {
        return "the request target has no host";
      }
      if (authority.indexOf('@') >= 0) {
        return "the request target carries user information (expected: scheme://host[:port]/path)";
      }
    }
    return null;
  }

  /**
   * @param contentLength    the body's length, or -1 when the request has none
   * @param receivedAtMillis when the request's head arrived, by the wall clock (0 when unknown: then no
   *                         {@code X-Request-Start} of Sluice's own)
   */
  static RequestHead of(HttpServerRequest request, long contentLength, long receivedAtMillis, Forwarding forwarding) {
    SocketAddress remote = request.remoteAddress();
    SocketAddress local = request.localAddress();
    String clientIp = remote == null || remote.isDomainSocket() ? "" : remote.hostAddress();
    String localIp = local == null || local.isDomainSocket() ? "" : local.hostAddress();
    String scheme = request.isSSL() ? "https" : "http";
    String uri = request.uri();
    String stamp = forwarding.requestStart() && receivedAtMillis > 0 ? requestStart(receivedAtMillis) : null;
    ForwardedHeaders.Result forwarded = ForwardedHeaders.forBackend(request.headers(),
        new ForwardedHeaders.Hop(clientIp, scheme, forwarding.trusts(clientIp), listenHost(local)), authority(uri),
        stamp);
    return new RequestHead(request.method().name(), originForm(uri), forwarded.scheme(), forwarded.headers(),
        contentLength, new RequestHead.Peer(clientIp, clientIp.isEmpty() ? 0 : remote.port(), localIp,
            localIp.isEmpty() ? 0 : local.port()),
        request.version() == HttpVersion.HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1", receivedAtMillis);
  }

  /** nginx's {@code t=${msec}}: Unix seconds with three decimals, {@code t=1764531234.567}. */
  static String requestStart(long millis) {
    long seconds = millis / 1000;
    int ms = (int) (millis % 1000);
    StringBuilder s = new StringBuilder(20).append("t=").append(seconds).append('.');
    if (ms < 100) {
      s.append(ms < 10 ? "00" : "0");
    }
    return s.append(ms).toString();
  }

  /**
   * The authority of an absolute-form target ({@code GET http://a.example:8080/x}: {@code a.example:8080}, empty for
   * {@code http:///x}), or {@code null} for any other form.
   */
  static String authority(String uri) {
    if (uri.isEmpty() || uri.charAt(0) == '/' || uri.equals("*")) {
      return null;
    }
    int scheme = uri.indexOf("://");
    if (scheme <= 0) {
      return null;
    }
    int start = scheme + 3;
    int end = start;
    while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?' && uri.charAt(end) != '#') {
      end++;
    }
    return uri.substring(start, end);
  }

  /** An absolute-form target ({@code GET http://host/path}) becomes its path and query. */
  static String originForm(String uri) {
    if (uri.startsWith("/") || uri.equals("*")) {
      return uri;
    }
    int scheme = uri.indexOf("://");
    if (scheme < 0) {
      return uri;
    }
    int path = uri.indexOf('/', scheme + 3);
    int query = uri.indexOf('?', scheme + 3);
    if (path < 0 || (query >= 0 && query < path)) {
      return query < 0 ? "/" : "/" + uri.substring(query);
    }
    return uri.substring(path);
  }

  /** The listener's address as a {@code Host} value, for requests that came without one. */
  static String listenHost(SocketAddress local) {
    if (local == null || local.isDomainSocket()) {
      return "localhost";
    }
    String host = local.hostAddress();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + local.port();
  }
}
