package io.sluice.server;

import io.sluice.backend.RequestHead;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;

/** What a backend is told of a client's request: its {@link RequestHead}, built from Vert.x's view of it. Stateless. */
final class RequestHeads {

  private RequestHeads() {
  }

  /**
   * @param contentLength    the body's length, or -1 when the request has none
   * @param receivedAtMillis when the request's head arrived, by the wall clock
   */
  static RequestHead of(HttpServerRequest request, long contentLength, long receivedAtMillis) {
    SocketAddress remote = request.remoteAddress();
    SocketAddress local = request.localAddress();
    String clientIp = remote == null || remote.isDomainSocket() ? "" : remote.hostAddress();
    String localIp = local == null || local.isDomainSocket() ? "" : local.hostAddress();
    String scheme = request.isSSL() ? "https" : "http";
    MultiMap headers = ForwardedHeaders.forBackend(request.headers(), clientIp, scheme, listenHost(local));
    return new RequestHead(request.method().name(), originForm(request.uri()), scheme, headers, contentLength,
        new RequestHead.Peer(clientIp, clientIp.isEmpty() ? 0 : remote.port(), localIp,
            localIp.isEmpty() ? 0 : local.port()),
        request.version() == HttpVersion.HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1", receivedAtMillis);
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
