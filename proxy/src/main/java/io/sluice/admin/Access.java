package io.sluice.admin;

import io.sluice.config.Address;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Who may use the admin listener.
 *
 * <p>With a token: {@code /api} and {@code /metrics} need {@code Authorization: Bearer TOKEN}, else 401 with
 * {@code WWW-Authenticate: Bearer realm="sluice"}; the dashboard's files, {@code /healthz} and {@code /readyz} carry no
 * data and are open. The token is compared in constant time (SHA-256 of both sides, then
 * {@link MessageDigest#isEqual}), so neither its content nor its length leaks through timing.
 *
 * <p>Without a token: only this machine, i.e. clients on a Unix socket or from 127.0.0.0/8 or ::1 (else 403). Since a
 * browser on this machine is such a client, a TCP request must also name this machine in its {@code Host} header
 * ({@code localhost} or an IP literal): a web page whose own name was made to resolve to 127.0.0.1 (DNS rebinding)
 * cannot drive the API.
 *
 * <p>Handlers run on the admin listener's event loop and do no I/O.
 */
final class Access {

  static final String CHALLENGE = "Bearer realm=\"sluice\"";
  private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  private static final Pattern IP_LITERAL_CHARS = Pattern.compile("[0-9A-Fa-f:.%]+");

  private final byte[] tokenDigest;

  Access(Optional<String> token) {
    this.tokenDigest = token.map(Access::sha256).orElse(null);
  }

  boolean hasToken() {
    return tokenDigest != null;
  }

  /** First handler of every route: without a token, serves this machine only. */
  void local(RoutingContext ctx) {
    if (tokenDigest == null) {
      HttpServerRequest req = ctx.request();
      SocketAddress local = req.localAddress();
      boolean unix = local != null && local.isDomainSocket();
      if (!unix && !isLoopback(req.remoteAddress())) {
        Responses.error(ctx, 403, "the admin API serves this machine only when no token is set (expected: a "
            + "client on 127.0.0.1 or ::1, or start Sluice with --admin-token)");
        return;
      }
      if (!unix && !namesThisMachine(req.getHeader(HttpHeaders.HOST))) {
        Responses.error(ctx, 403, "Host " + req.getHeader(HttpHeaders.HOST) + " is not this machine (expected: "
            + "localhost or an IP address, or start Sluice with --admin-token)");
        return;
      }
    }
    ctx.next();
  }

  /** Guards {@code /api} and {@code /metrics}: the bearer token, when one is set. */
  void bearer(RoutingContext ctx) {
    if (tokenDigest == null) {
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      ctx.response().putHeader("WWW-Authenticate", CHALLENGE);
      Responses.error(ctx, 401, "a bearer token is required (expected: Authorization: Bearer TOKEN)");
      return;
    }
    if (!MessageDigest.isEqual(sha256(header.substring(7).trim()), tokenDigest)) {
      ctx.response().putHeader("WWW-Authenticate", CHALLENGE + ", error=\"invalid_token\"");
      Responses.error(ctx, 401, "the bearer token is wrong");
      return;
    }
    ctx.next();
  }

  /** Whether a client's address is a loopback one; an address that is not an IP literal is not. */
  static boolean isLoopback(SocketAddress remote) {
    if (remote == null) {
      return false;
    }
    if (remote.isDomainSocket()) {
      return true;
    }
    return isLoopbackLiteral(remote.hostAddress());
  }

  /**
   * Whether only this machine can reach a listener at {@code address}: a Unix socket, {@code localhost}, or a
   * loopback IP literal. The command line refuses anything else without a token; the admin server checks again.
   */
  static boolean isLocalOnly(Address address) {
    if (!(address instanceof Address.Tcp tcp)) {
      return true;
    }
    return tcp.host().equalsIgnoreCase("localhost") || isLoopbackLiteral(tcp.host());
  }

  /** {@code localhost} or an IP literal, with or without a port; no {@code Host} at all (HTTP/1.0) too. */
  static boolean namesThisMachine(String host) {
    if (host == null) {
      return true;
    }
    String name = host.trim();
    if (name.startsWith("[")) {
      int end = name.indexOf(']');
      return end > 1 && IP_LITERAL_CHARS.matcher(name.substring(1, end)).matches();
    }
    int colon = name.lastIndexOf(':');
    if (colon >= 0) {
      name = name.substring(0, colon);
    }
    return name.equalsIgnoreCase("localhost") || IPV4.matcher(name).matches();
  }

  private static boolean isLoopbackLiteral(String host) {
    if (host == null || host.isEmpty() || !IP_LITERAL_CHARS.matcher(host).matches()) {
      return false;
    }
    if (host.indexOf(':') < 0 && !IPV4.matcher(host).matches()) {
      return false;
    }
    try {
      // a literal (checked above), so no name lookup happens
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
