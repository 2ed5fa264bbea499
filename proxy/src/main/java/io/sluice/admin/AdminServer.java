package io.sluice.admin;

import io.sluice.config.Address;
import io.sluice.config.AdminConfig;
import io.sluice.history.History;
import io.sluice.metrics.MetricsSource;
import io.sluice.net.Sockets;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The admin listener: the JSON API under {@code /api/v1}, {@code /metrics}, {@code /healthz}, {@code /readyz}, and
 * the dashboard at {@code /} (the {@code sluice-admin/} files of the admin-ui jar). One HTTP server on one event loop
 * of the proxy's Vert.x; what blocks (applying limits, writing the state file, rendering metrics) runs on worker
 * threads. {@link Access} says who may call what.
 */
public final class AdminServer {

  private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());
  /** The longest PATCH body: a limits document is a few hundred bytes. */
  private static final long MAX_BODY = 64 * 1024;
  /** How long {@code /readyz} waits for a backend to accept a connection. */
  private static final Duration READY_WAIT = Duration.ofSeconds(2);
  private static final Duration START_WAIT = Duration.ofSeconds(30);
  private static final String WEB_ROOT = "sluice-admin";
  private static final String PAGE_POLICY = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
      + "form-action 'self'";

  private final HttpServer server;
  private final Address address;

  private AdminServer(HttpServer server, Address address) {
    this.server = server;
    this.address = address;
  }

  /**
   * Starts the listener at {@code config.address()}. Blocking (a stale Unix socket file is removed first): call it
   * at start-up, off any event loop.
   *
   * @throws IOException naming the address and what went wrong; also when the address is reachable from other
   *                     machines and no token is set
   */
  public static AdminServer start(Vertx vertx, AdminConfig config, Control control, MetricsSource metrics)
      throws IOException {
    return start(vertx, config, control, metrics, History.empty());
  }

  /** As {@link #start(Vertx, AdminConfig, Control, MetricsSource)}, with {@code history} at {@code /api/v1/history}. */
  public static AdminServer start(Vertx vertx, AdminConfig config, Control control, MetricsSource metrics,
      History history) throws IOException {
    Address at = config.address().orElseThrow(() -> new IllegalArgumentException("admin: off"));
    if (config.token().isEmpty() && !Access.isLocalOnly(at)) {
      throw new IOException("admin API on " + at + ": a token is required on an address other machines can "
          + "reach (expected: --admin-token TOKEN or SLUICE_ADMIN_TOKEN, or bind to 127.0.0.1)");
    }
    if (at instanceof Address.Unix u) {
      Sockets.prepareUnixPath(u.path());
    }
    Router router = router(vertx, new Access(config.token()), control, metrics,
        config.stateFile().map(StateFile::new), new HistoryApi(vertx, history));
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setIdleTimeout(120)
            .setIdleTimeoutUnit(TimeUnit.SECONDS))
        .requestHandler(router);
    Future<HttpServer> listening = server.listen(Sockets.bindAddress(at));
    try {
      listening.await(START_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      server.close();
      Throwable cause = e.getCause() != null && e.getMessage() == null ? e.getCause() : e;
      // Netty's native transport says "bind(..) failed with error(-98): Address already in use"
      String why = String.valueOf(cause.getMessage()).replaceFirst("^\\w+\\(\\.\\.\\) failed with error\\(-?\\d+\\): ", "");
      throw new IOException("admin API on " + at + ": " + why);
    }
    Address bound = at instanceof Address.Tcp t ? new Address.Tcp(t.host(), server.actualPort()) : at;
    LOG.log(Level.INFO, "admin API, metrics and dashboard on " + bound
        + (config.token().isPresent() ? " (bearer token required)" : " (this machine only)"));
    return new AdminServer(server, bound);
  }

  /** Where it listens: a TCP port 0 is replaced by the port the kernel chose. */
  public Address address() {
    return address;
  }

  public Future<Void> close() {
    return server.close();
  }

  private static Router router(Vertx vertx, Access access, Control control, MetricsSource metrics,
      Optional<StateFile> state, HistoryApi history) {
    LimitsApi limits = new LimitsApi(vertx, control, state);
    Router router = Router.router(vertx);
    router.route().handler(AdminServer::securityHeaders).handler(access::local);
    router.get("/healthz").handler(ctx -> Responses.json(ctx, 200, new JsonObject().put("alive", true)));
    router.get("/readyz").handler(ctx -> control.ready().timeout(READY_WAIT).onComplete(ar -> {
      boolean ready = ar.succeeded() && Boolean.TRUE.equals(ar.result());
      Responses.json(ctx, ready ? 200 : 503, new JsonObject().put("ready", ready));
    }));
    router.route("/api/*").handler(access::bearer);
    router.route("/metrics").handler(access::bearer);
    router.get("/api/v1/status").handler(ctx -> Responses.json(ctx, 200, StatusJson.render(control.status())));
    router.get("/api/v1/history").handler(history::get);
    router.get("/api/v1/limits").handler(limits::get);
    // 415 before the body is read; a body handler must open its own route
    router.patch("/api/v1/limits").handler(limits::requireJson);
    router.patch("/api/v1/limits").handler(BodyHandler.create(false).setBodyLimit(MAX_BODY)).handler(limits::patch);
    router.get("/metrics").handler(ctx -> scrape(vertx, ctx, metrics));
    router.get("/*").handler(StaticHandler.create(WEB_ROOT).setMaxAgeSeconds(60));
    router.errorHandler(404, ctx -> Responses.error(ctx, 404, "no such resource: " + ctx.request().path()));
    router.errorHandler(405, ctx -> Responses.error(ctx, 405, "method " + ctx.request().method()
        + " is not allowed on " + ctx.request().path()));
    router.errorHandler(413, ctx -> Responses.error(ctx, 413, "body over " + MAX_BODY + " bytes"));
    router.errorHandler(500, ctx -> {
      LOG.log(Level.ERROR, "admin request " + ctx.request().method() + " " + ctx.request().path() + " failed",
          ctx.failure());
      Responses.error(ctx, 500, "internal error");
    });
    return router;
  }

  private static void scrape(Vertx vertx, RoutingContext ctx, MetricsSource metrics) {
    String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
    vertx.executeBlocking(() -> metrics.scrape(accept), false).onComplete(ar -> {
      if (ar.failed()) {
        LOG.log(Level.ERROR, "rendering metrics failed", ar.cause());
        Responses.error(ctx, 500, "rendering metrics failed: " + ar.cause());
        return;
      }
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, ar.result().contentType())
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .end(io.vertx.core.buffer.Buffer.buffer(ar.result().body()));
    });
  }

  /** The page and the API never run inside another site's frame, nor load anything from elsewhere. */
  private static void securityHeaders(RoutingContext ctx) {
    ctx.response()
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("X-Frame-Options", "DENY")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("Content-Security-Policy", PAGE_POLICY);
    ctx.next();
  }
}
