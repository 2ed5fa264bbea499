package io.sluice.admin;

import io.sluice.cli.Args;
import io.sluice.cli.Option;
import io.sluice.cli.UsageException;
import io.sluice.config.Address;
import io.sluice.config.AdminConfig;
import io.sluice.config.CommandLine;
import io.sluice.config.ConfigException;
import io.sluice.config.Invocation;
import io.sluice.net.Sockets;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code sluice limits [--config FILE] [--admin ADDR] [--admin-token TOKEN] [--json] [set KEY=VALUE ...]}: shows
 * the limits of a running Sluice, or changes them, through its admin API. The keys are those it prints:
 * {@code backlog}, {@code queue.max}, {@code queue.timeout}, {@code queue.discipline}, {@code queue.target},
 * {@code backend.NAME.limit}. With {@code --config}, the
 * admin address and token are those of the Sluice started with that file; {@code --admin} and {@code --admin-token}
 * still win.
 *
 * <p>Exit status: 0 when done, 1 when the API refused the change or could not be reached (its message on standard
 * error), 2 for a wrong argument (one line on standard error).
 */
public final class LimitsCommand {

  static final String USAGE = """
      Usage: sluice limits [OPTIONS] [--json]              show the limits in force
             sluice limits [OPTIONS] set KEY=VALUE ...     change them
      Keys: backlog (max|N), queue.max (max|N), queue.timeout (such as 30s), queue.discipline (fifo|adaptive),
            queue.target (such as 500ms), backend.NAME.limit (auto|N)
      --config FILE         take the admin address and token from Sluice's configuration file
      --admin ADDR          the admin API: HOST:PORT or unix:/path (default: 127.0.0.1:9901)
      --admin-token TOKEN   its bearer token (also SLUICE_ADMIN_TOKEN)
      --json                print the limits document as the API returns it
      """;
  private static final String KEYS =
      "backlog, queue.max, queue.timeout, queue.discipline, queue.target or backend.NAME.limit";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String TOKEN_FORMS = "a non-empty token";
  private static final Option CONFIG = Option.value("--config", "FILE", "a YAML file");
  private static final Option ADMIN = Option.value("--admin", "ADDR", "HOST:PORT or unix:/path");
  private static final Option TOKEN = Option.value("--admin-token", "TOKEN", TOKEN_FORMS);
  private static final Option JSON = Option.flag("--json");
  private static final List<Option> OPTIONS = List.of(CONFIG, ADMIN, TOKEN, JSON);

  private LimitsCommand() {
  }

  /** Runs the command with the arguments after {@code limits}; returns the exit status. */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    Parsed parsed;
    try {
      parsed = Parsed.parse(args, env);
    } catch (IllegalArgumentException | UsageException e) {
      err.println("sluice limits: " + e.getMessage());
      return 2;
    }
    if (parsed.help) {
      out.print(USAGE);
      return 0;
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(1)
        .setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
    try {
      Client client = new Client(vertx, parsed.admin, parsed.token);
      JsonObject limits = parsed.patch == null ? client.call(HttpMethod.GET, "/api/v1/limits", null)
          : client.call(HttpMethod.PATCH, "/api/v1/limits", parsed.patch);
      if (parsed.json) {
        out.println(limits.encodePrettily());
      } else {
        JsonObject status;
        try {
          status = client.call(HttpMethod.GET, "/api/v1/status", null);
        } catch (Failure e) {
          status = new JsonObject();
        }
        print(limits, status, out);
      }
      return 0;
    } catch (Failure e) {
      err.println("sluice limits: " + e.getMessage());
      return 1;
    } finally {
      vertx.close().await();
    }
  }

  /** One line per key, with what is in force now when the setting is a word ({@code max}, {@code auto}). */
  static void print(JsonObject limits, JsonObject status, PrintStream out) {
    Map<String, String> lines = new LinkedHashMap<>();
    JsonArray listeners = status.getJsonArray("listeners", new JsonArray());
    Object effectiveBacklog = listeners.isEmpty() ? null
        : listeners.getJsonObject(0).getJsonObject("backlog", new JsonObject()).getValue("effective");
    JsonObject queueStatus = status.getJsonObject("queue", new JsonObject());
    JsonObject queue = limits.getJsonObject("queue", new JsonObject());
    Object backlog = limits.getValue("backlog");
    lines.put("backlog", value(backlog, effectiveBacklog != null && "max".equals(backlog)
        ? effectiveBacklog + " now" : null));
    Object queueMax = queue.getValue("max");
    String waiting = queueStatus.getValue("depth") + " waiting";
    lines.put("queue.max", value(queueMax, !queueStatus.containsKey("depth") ? null
        : "max".equals(queueMax) ? queueStatus.getValue("effectiveMax") + " now, " + waiting : waiting));
    lines.put("queue.timeout", value(queue.getValue("timeout"), null));
    if (queue.containsKey("discipline")) {
      lines.put("queue.discipline", value(queue.getValue("discipline"), "adaptive".equals(queue.getValue("discipline"))
          ? queueStatus.getString("mode", "normal") + " now" : null));
      lines.put("queue.target", value(queue.getValue("target"), null));
    }
    Map<String, JsonObject> backendStatus = new LinkedHashMap<>();
    for (Object o : status.getJsonArray("backends", new JsonArray())) {
      JsonObject b = (JsonObject) o;
      backendStatus.put(b.getString("name"), b);
    }
    for (Map.Entry<String, Object> e : limits.getJsonObject("backends", new JsonObject())) {
      Object limit = ((JsonObject) e.getValue()).getValue("limit");
      JsonObject b = backendStatus.get(e.getKey());
      String inflight = b == null ? null : b.getValue("inflight") + " in flight";
      String now = b == null ? null : "auto".equals(limit)
          ? b.getJsonObject("limit", new JsonObject()).getValue("current") + " now, " + inflight : inflight;
      lines.put("backend." + e.getKey() + ".limit", value(limit, now));
    }
    int width = lines.keySet().stream().mapToInt(String::length).max().orElse(0);
    lines.forEach((k, v) -> out.println(String.format("%-" + width + "s  %s", k, v)));
  }

  private static String value(Object setting, String now) {
    String text = String.valueOf(setting);
    return now == null ? text : String.format("%-6s (%s)", text, now);
  }

  /** The command line of {@code sluice limits}. */
  private static final class Parsed {
    Address admin;
    String token;
    boolean json;
    boolean help;
    JsonObject patch;

    static Parsed parse(String[] argv, Map<String, String> env) {
      Parsed a = new Parsed();
      Args args = Args.parse(argv, OPTIONS, "(run sluice limits --help)");
      a.help = args.help();
      if (a.help) {
        return a;
      }
      String config = null;
      for (Args.Given g : args.given()) {
        if (g.is(JSON)) {
          a.json = true;
        } else if (g.is(CONFIG)) {
          config = g.value();
        } else if (g.is(ADMIN)) {
          a.admin = g.parse(Parsed::address);
        } else {
          a.token = g.parse(Parsed::token);
        }
      }
      List<String> operands = args.operands();
      List<String> pairs = null;
      if (!operands.isEmpty()) {
        if (!operands.get(0).equals("set")) {
          throw new IllegalArgumentException("unexpected argument \"" + operands.get(0)
              + "\" (expected: set KEY=VALUE ...)");
        }
        pairs = operands.subList(1, operands.size());
      }
      AdminConfig configured = config == null ? null : adminOf(config, env);
      if (a.admin == null && configured != null && configured.address().isEmpty()) {
        throw new IllegalArgumentException("--config " + config + ": the admin API is off there (admin.address: off), "
            + "so there is nothing to ask");
      }
      if (a.admin == null) {
        a.admin = configured == null ? AdminConfig.DEFAULT_ADDRESS : configured.address().get();
      }
      if (a.token == null) {
        // The configuration's token already comes from SLUICE_ADMIN_TOKEN when that is set, as Sluice reads it.
        String fromEnv = env.get(CommandLine.TOKEN_VARIABLE);
        a.token = configured != null ? configured.token().orElse(null)
            : fromEnv == null || fromEnv.isEmpty() ? null : fromEnv;
      }
      if (pairs != null) {
        if (pairs.isEmpty()) {
          throw new IllegalArgumentException("set: nothing to set (expected: KEY=VALUE ..., KEY one of " + KEYS + ")");
        }
        a.patch = patch(pairs);
      }
      return a;
    }

    /** The admin settings of a Sluice started with {@code --config path}. */
    private static AdminConfig adminOf(String path, Map<String, String> env) {
      try {
        if (CommandLine.parse(new String[] {"--config", path}, env) instanceof Invocation.Run run) {
          return run.config().admin();
        }
        throw new IllegalStateException("--config alone is neither --help nor --version");
      } catch (ConfigException e) {
        throw new IllegalArgumentException(e.getMessage());
      }
    }

    private static Address address(String text) {
      if (text.trim().equals("off")) {
        throw new IllegalArgumentException("\"off\" (expected: HOST:PORT or unix:/path of a running Sluice's admin "
            + "API)");
      }
      return Address.parse(text);
    }

    private static String token(String text) {
      if (text.isEmpty()) {
        throw new IllegalArgumentException("\"\" (expected: " + TOKEN_FORMS + ")");
      }
      return text;
    }

    /** {@code queue.max=500 backend.app.limit=8} as {@code {"queue":{"max":"500"},"backends":{"app":{"limit":"8"}}}}. */
    static JsonObject patch(List<String> pairs) {
      JsonObject patch = new JsonObject();
      for (String pair : pairs) {
        int eq = pair.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("\"" + pair + "\" (expected: KEY=VALUE, such as queue.max=500)");
        }
        String key = pair.substring(0, eq);
        String value = pair.substring(eq + 1);
        if (key.equals("backlog")) {
          patch.put("backlog", value);
        } else if (key.equals("queue.max") || key.equals("queue.timeout") || key.equals("queue.discipline")
            || key.equals("queue.target")) {
          JsonObject queue = patch.getJsonObject("queue");
          if (queue == null) {
            queue = new JsonObject();
            patch.put("queue", queue);
          }
          queue.put(key.substring("queue.".length()), value);
        } else if (backendName(key) != null) {
          JsonObject backends = patch.getJsonObject("backends");
          if (backends == null) {
            backends = new JsonObject();
            patch.put("backends", backends);
          }
          backends.put(backendName(key), new JsonObject().put("limit", value));
        } else {
          throw new IllegalArgumentException("\"" + pair + "\": unknown key \"" + key + "\" (expected: " + KEYS
              + ")");
        }
      }
      return patch;
    }

    /** NAME of {@code backend.NAME.limit} (or {@code backends.NAME.limit}), else {@code null}. */
    private static String backendName(String key) {
      for (String prefix : List.of("backend.", "backends.")) {
        if (key.startsWith(prefix) && key.endsWith(".limit") && key.length() > prefix.length() + ".limit".length()) {
          return key.substring(prefix.length(), key.length() - ".limit".length());
        }
      }
      return null;
    }
  }

  /** The API refused, or could not be reached; the message says which, in one line. */
  private static final class Failure extends Exception {
    Failure(String message) {
      super(message, null, false, false);
    }
  }

  /** Blocking calls to the admin API over Vert.x's client, which reaches Unix sockets as well as TCP. */
  private static final class Client {
    private final HttpClient http;
    private final Address admin;
    private final String token;

    Client(Vertx vertx, Address admin, String token) {
      this.http = vertx.createHttpClient();
      this.admin = admin;
      this.token = token;
    }

    JsonObject call(HttpMethod method, String path, JsonObject body) throws Failure {
      RequestOptions options = new RequestOptions().setMethod(method).setURI(path)
          .setConnectTimeout(TIMEOUT.toMillis()).setIdleTimeout(TIMEOUT.toMillis());
      // The Host header names this machine, as the admin API asks of a client without a token.
      options.setServer(Sockets.connectAddress(admin));
      if (admin instanceof Address.Tcp t) {
        options.setHost(Sockets.connectHost(t)).setPort(t.port());
      } else {
        options.setHost("localhost").setPort(80);
      }
      if (token != null) {
        options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + token);
      }
      if (body != null) {
        options.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
      }
      Future<Answer> answer = http.request(options).compose(req -> (body == null ? req.send()
          : req.send(body.encode())).compose(resp -> resp.body().map(b -> new Answer(resp, b))));
      Answer a;
      try {
        a = answer.await(TIMEOUT.toMillis() + 5000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        throw new Failure("cannot reach the admin API at " + admin + ": " + reason(e) + " (is Sluice running with "
            + "its admin API there? --admin ADDR says where)");
      }
      JsonObject json = null;
      try {
        json = new JsonObject(a.body);
      } catch (DecodeException | ClassCastException e) {
        // not the admin API's JSON: reported below with the status
      }
      if (a.status / 100 == 2 && json != null) {
        return json;
      }
      if (a.status == 401 && token == null) {
        throw new Failure("the admin API at " + admin + " needs its token (expected: --admin-token TOKEN or "
            + "SLUICE_ADMIN_TOKEN)");
      }
      if (json != null && json.getValue("error") instanceof String message) {
        throw new Failure(message);
      }
      throw new Failure(admin + " answered " + a.status + " " + a.reason + ", which is not Sluice's admin API");
    }

    /** Netty's connect errors read {@code finishConnect(..) failed with error(-111): Connection refused: /...}. */
    private static String reason(Throwable e) {
      Throwable t = e.getMessage() == null && e.getCause() != null ? e.getCause() : e;
      String message = String.valueOf(t.getMessage());
      for (String known : List.of("Connection refused", "No such file or directory", "Permission denied")) {
        if (message.contains(known)) {
          return known.toLowerCase(java.util.Locale.ROOT);
        }
      }
      return t instanceof java.util.concurrent.TimeoutException ? "no answer within " + TIMEOUT.toSeconds() + " s"
          : message;
    }

    private record Answer(int status, String reason, Buffer body) {
      Answer(HttpClientResponse resp, Buffer body) {
        this(resp.statusCode(), resp.statusMessage(), body);
      }
    }
  }
}
