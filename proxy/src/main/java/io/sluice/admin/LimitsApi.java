package io.sluice.admin;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code GET} and {@code PATCH /api/v1/limits}. A PATCH is validated whole on the event loop (400, 404, 415), then
 * merged into the limits in force, applied and written to the state file on a worker thread, one PATCH at a time;
 * if the state file cannot be written the previous limits are put back, so an answer other than 200 always means
 * nothing changed.
 */
final class LimitsApi {

  private static final System.Logger LOG = System.getLogger(LimitsApi.class.getName());

  private final Vertx vertx;
  private final Control control;
  private final Optional<StateFile> state;

  LimitsApi(Vertx vertx, Control control, Optional<StateFile> state) {
    this.vertx = vertx;
    this.control = control;
    this.state = state;
  }

  void get(RoutingContext ctx) {
    Responses.json(ctx, 200, LimitsPatch.render(control.limits()));
  }

  /** Before the body is read: only JSON is taken ({@code application/json}, or any {@code +json} type). */
  void requireJson(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    String mime = type == null ? "" : type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!mime.equals("application/json") && !(mime.startsWith("application/") && mime.endsWith("+json"))) {
      Responses.error(ctx, 415, "Content-Type " + (type == null ? "missing" : "\"" + type + "\"")
          + " (expected: application/json)");
      return;
    }
    ctx.next();
  }

  void patch(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      Responses.error(ctx, 400, "empty body (expected: a JSON object such as {\"queue\":{\"max\":500}})");
      return;
    }
    LimitsPatch patch;
    try {
      patch = LimitsPatch.parse(Json.decodeValue(body), control.limits().backends().keySet());
    } catch (DecodeException e) {
      Responses.error(ctx, 400, "malformed JSON: " + jsonProblem(e.getMessage()));
      return;
    } catch (InvalidLimitsException e) {
      Responses.error(ctx, e.status(), e.getMessage());
      return;
    }
    vertx.executeBlocking(() -> apply(patch), true).onComplete(ar -> {
      if (ar.succeeded()) {
        Responses.json(ctx, 200, LimitsPatch.render(ar.result()));
      } else if (ar.cause() instanceof InvalidLimitsException e) {
        Responses.error(ctx, e.status(), e.getMessage());
      } else {
        LOG.log(Level.ERROR, "applying new limits failed", ar.cause());
        Responses.error(ctx, 500, "applying the limits failed: " + ar.cause());
      }
    });
  }

  /** On a worker thread. Serialised, so that two PATCHes never merge into the same old limits. */
  private synchronized Limits apply(LimitsPatch patch) throws InvalidLimitsException {
    Limits before = control.limits();
    Limits after = control.apply(patch.applyTo(before));
    if (state.isPresent()) {
      try {
        state.get().write(after);
      } catch (IOException e) {
        try {
          control.apply(before);
        } catch (InvalidLimitsException undo) {
          LOG.log(Level.ERROR, "cannot put the previous limits back: " + undo.getMessage());
        }
        throw new InvalidLimitsException(500, "cannot write the state file " + state.get().path() + " ("
            + e + "), so the limits were left as they were");
      }
    }
    return after;
  }

  /** Jackson's message, less its note on the redacted source: {@code ... (line 1, column 10)}. */
  static String jsonProblem(String message) {
    String line = message == null ? "unreadable" : message.strip().lines().findFirst().orElse("unreadable");
    line = line.replaceFirst("^Failed to decode: ?", "");
    return line.replaceAll("\\s*\\(?(start marker )?at \\[Source: [^;\\]]*; line: (\\d+), column: (\\d+)\\]\\)?",
        " (line $2, column $3)");
  }
}
