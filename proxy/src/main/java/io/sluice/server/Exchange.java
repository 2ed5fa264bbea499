package io.sluice.server;

import io.netty.util.AsciiString;
import io.sluice.backend.Backend;
import io.sluice.backend.BackendCall;
import io.sluice.backend.BackendException;
import io.sluice.backend.BackendListener;
import io.sluice.backend.ConnectFailures;
import io.sluice.backend.RequestHead;
import io.sluice.backend.RequestRefusedException;
import io.sluice.backend.ResponseHead;
import io.sluice.buffer.BodyBuffer;
import io.sluice.buffer.Spool;
import io.sluice.limit.Outcome;
import io.sluice.limit.Permit;
import io.sluice.queue.Rejection;
import io.sluice.queue.Ticket;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Map;

/**
 * One client request, from its head to the last byte of its answer.
 *
 * <pre>
 *   READING ──body complete──▶ QUEUED ──permit──▶ SENDING ──response head──▶ RESPONDING ──backend done──▶ DRAINING
 *                                 ▲                  │                                                       │
 *                                 └── connect failed ┘      (permit released when the backend is done)  client written
 * </pre>
 *
 * <p>Slot discipline: the request takes a backend permit only once its whole body is buffered, and gives it back as
 * soon as the backend has finished, whatever the client's speed. The permit is released exactly once on every path;
 * a client that goes away while its request waits is taken out of the queue and nothing is sent for it.
 *
 * <p>Confined to the event loop of the client's connection; the dispatcher's callbacks are moved onto it.
 */
final class Exchange extends Ticket implements BackendListener {

  private static final System.Logger LOG = System.getLogger(Exchange.class.getName());

  private static final int READING = 0;
  private static final int QUEUED = 1;
  private static final int SENDING = 2;
  private static final int RESPONDING = 3;
  private static final int DRAINING = 4;
  private static final int DONE = 5;

  private static final AsciiString CONTENT_LENGTH = AsciiString.cached("content-length");
  private static final AsciiString[] HOP_BY_HOP = {
      AsciiString.cached("connection"), AsciiString.cached("keep-alive"), AsciiString.cached("proxy-connection"),
      AsciiString.cached("te"), AsciiString.cached("trailer"), AsciiString.cached("transfer-encoding"),
      AsciiString.cached("upgrade"), AsciiString.cached("content-length"),
  };

  private final Proxy proxy;
  private final HttpServerRequest request;
  private final HttpServerResponse response;
  private final Context context;
  private final Thread loop;
  private final Proxy.Settings settings;
  private RequestHead head;
  private BodyBuffer body;
  private Permit permit;
  private Backend backend;
  private BackendCall call;
  private Spool spool;
  private BodyBuffer wholeResponse;
  /** The latest body piece, held until the read that brought it is over: a whole small response goes out at once. */
  private Buffer pending;
  private Buffer encoded;
  private int encodedFor = -1;
  private int state = READING;
  private ClientConnections.Connection connection;
  private long lastBodyNanos;
  private boolean clientGone;
  private boolean finished;

  Exchange(Proxy proxy, HttpServerRequest request, Context context) {
    this.proxy = proxy;
    this.request = request;
    this.response = request.response();
    this.context = context;
    this.loop = Thread.currentThread();
    this.settings = proxy.settings();
  }

  void start() {
    proxy.stats().onReceived();
    connection = proxy.connections().requestStarted(request.connection());
    response.closeHandler(v -> onClientGone());
    long declared = declaredLength();
    if (declared == -2) {
      respond(400, "invalid Content-Length", RequestOutcome.REJECTED, -1, true);
      return;
    }
    if (declared > settings.maxBody()) {
      tooLarge();
      return;
    }
    boolean chunked = request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
    if (declared > 0 || chunked) {
      if (request.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true)) {
        response.writeContinue();
      }
      body = new BodyBuffer(proxy.vertx(), settings.tempDir(), settings.memoryBuffer());
      lastBodyNanos = System.nanoTime();
      ClientConnections.readingBody(connection, this);
      request.handler(this::onBodyChunk);
      request.endHandler(v -> {
        if (state == READING && !finished) {
          body.end(this::onBodyComplete);
        }
      });
    } else {
      prepare(declared == 0 ? 0 : -1);
    }
  }

  /** The request's Content-Length: -1 when absent, -2 when not a non-negative integer. */
  private long declaredLength() {
    String cl = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (cl == null) {
      return -1;
    }
    try {
      long n = Long.parseLong(cl.trim());
      return n < 0 ? -2 : n;
    } catch (NumberFormatException e) {
      return -2;
    }
  }

  private void onBodyChunk(Buffer chunk) {
    if (state != READING || finished) {
      return;
    }
    if (body.length() + chunk.length() > settings.maxBody()) {
      tooLarge();
      return;
    }
    lastBodyNanos = System.nanoTime();
    body.append(chunk);
    if (body.writeQueueFull()) {
      request.pause();
      body.drainHandler(v -> request.resume());
    }
  }

  private void onBodyComplete(AsyncResult<Void> ar) {
    if (finished) {
      return;
    }
    if (ar.failed()) {
      LOG.log(Level.ERROR, "cannot buffer a request body: " + ar.cause().getMessage());
      respond(500, "the request body could not be buffered", RequestOutcome.REJECTED, -1, true);
      return;
    }
    prepare(body.length());
  }

  /** How long the body has been silent; 0 once it is complete. */
  long bodyIdleFor(long now) {
    return state == READING && !finished ? now - lastBodyNanos : 0;
  }

  /** The body stopped arriving for longer than the client body timeout. */
  void bodyTimedOut() {
    if (state == READING && !finished) {
      respond(408, "the request body stopped arriving", RequestOutcome.REJECTED, -1, true);
    }
  }

  private void tooLarge() {
    respond(413, "the request body is larger than the limit of " + settings.maxBody() + " bytes",
        RequestOutcome.TOO_LARGE, -1, true);
  }

  /** Builds what the backend will see, refuses what no backend could take, then queues. */
  private void prepare(long contentLength) {
    SocketAddress remote = request.remoteAddress();
    SocketAddress local = request.localAddress();
    String clientIp = remote == null || remote.isDomainSocket() ? "" : remote.hostAddress();
    String localIp = local == null || local.isDomainSocket() ? "" : local.hostAddress();
    String scheme = request.isSSL() ? "https" : "http";
    MultiMap headers = ForwardedHeaders.forBackend(request.headers(), clientIp, scheme, proxy.listenHost(local));
    head = new RequestHead(request.method().name(), originForm(request.uri()), scheme, headers, contentLength,
        new RequestHead.Peer(clientIp, clientIp.isEmpty() ? 0 : remote.port(), localIp,
            localIp.isEmpty() ? 0 : local.port()),
        request.version() == HttpVersion.HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1");
    // Encoded once, here, so a request no backend could take is refused before it waits; the bytes are reused when
    // the backend that gets it encodes alike (the usual case: one backend, or several of one kind).
    List<Backend> backends = proxy.backends();
    try {
      encoded = backends.get(0).encode(head);
      encodedFor = 0;
      for (int i = 1; i < backends.size(); i++) {
        if (!backends.get(i).encodesLike(backends.get(0))) {
          backends.get(i).encode(head);
        }
      }
    } catch (RequestRefusedException e) {
      respond(e.status(), e.getMessage(), RequestOutcome.REJECTED, -1, false);
      return;
    } catch (IllegalArgumentException e) {
      respond(400, "the request cannot be forwarded: " + e.getMessage(), RequestOutcome.REJECTED, -1, true);
      return;
    }
    state = QUEUED;
    proxy.dispatcher().enqueue(this);
  }

  /** An absolute-form target ({@code GET http://host/path}) becomes its path and query. */
  private static String originForm(String uri) {
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

  // ---- the dispatcher's verdict, on any thread

  @Override
  protected void granted(Permit p) {
    if (Thread.currentThread() == loop) {
      onGranted(p);
    } else {
      context.runOnContext(v -> onGranted(p));
    }
  }

  @Override
  protected void rejected(Rejection why, int retryAfterSeconds) {
    if (Thread.currentThread() == loop) {
      onRejected(why, retryAfterSeconds);
    } else {
      context.runOnContext(v -> onRejected(why, retryAfterSeconds));
    }
  }

  private void onGranted(Permit p) {
    if (clientGone || state != QUEUED) {
      // The client left while the grant was on its way: hand the slot straight back.
      p.release(Outcome.IGNORED);
      finish(RequestOutcome.CLIENT_GONE);
      return;
    }
    permit = p;
    state = SENDING;
    proxy.metrics().queueWait(System.nanoTime() - enqueuedAtNanos());
    backend = proxy.backends().get(p.backend());
    Buffer bytes;
    try {
      if (encodedFor != p.backend() && !backend.encodesLike(proxy.backends().get(encodedFor))) {
        encoded = backend.encode(head);
        encodedFor = p.backend();
      }
      bytes = encoded;
    } catch (RequestRefusedException e) {
      releasePermit(Outcome.IGNORED);
      respond(e.status(), e.getMessage(), RequestOutcome.REJECTED, -1, false);
      return;
    }
    call = backend.call(head.method(), bytes, body, this);
  }

  private void onRejected(Rejection why, int retryAfterSeconds) {
    if (clientGone) {
      finish(RequestOutcome.CLIENT_GONE);
      return;
    }
    RequestOutcome outcome = switch (why) {
      case QUEUE_FULL -> RequestOutcome.QUEUE_FULL;
      case TIMEOUT -> RequestOutcome.QUEUE_TIMEOUT;
      case SHUTDOWN -> RequestOutcome.SHUTDOWN;
    };
    respond(503, why.reason(), outcome, retryAfterSeconds, false);
  }

  // ---- the backend's side, on this event loop

  @Override
  public void connectFailed(boolean busy, Throwable cause) {
    call = null;
    proxy.connectFailed(backend, busy, cause);
    if (clientGone) {
      releasePermit(Outcome.IGNORED);
      finish(RequestOutcome.CLIENT_GONE);
      return;
    }
    Permit p = permit;
    permit = null;
    state = QUEUED;
    p.retryLater(busy);
  }

  @Override
  public void connected() {
    if (permit != null) {
      permit.connected();
    }
  }

  @Override
  public void head(ResponseHead h) {
    state = RESPONDING;
    if (clientGone) {
      call.abort();
      call = null;
      releasePermit(Outcome.IGNORED);
      finish(RequestOutcome.CLIENT_GONE);
      return;
    }
    writeHead(h);
  }

  @Override
  public void body(Buffer data) {
    if (finished) {
      return;
    }
    if (wholeResponse != null) {
      wholeResponse.append(data);
      return;
    }
    if (spool == null && pending != null) {
      writeOut(pending);
    }
    if (spool == null) {
      pending = data;
    } else {
      toSpool(data);
    }
  }

  @Override
  public void readComplete() {
    if (pending != null && !finished) {
      writeOut(pending);
    }
  }

  /** Straight to the client while it keeps up; into a spool from the first time it does not. */
  private void writeOut(Buffer data) {
    pending = null;
    if (spool == null && !response.writeQueueFull()) {
      response.write(data);
      return;
    }
    if (spool == null) {
      spool = new Spool(proxy.vertx(), settings.tempDir(), settings.memoryBuffer(), settings.maxSpool());
      spool.pipeTo(response, this::onSpoolDrained);
    }
    toSpool(data);
  }

  private void toSpool(Buffer data) {
    spool.write(data);
    if (spool.writeQueueFull() && call != null) {
      BackendCall c = call;
      c.pause();
      spool.drainHandler(v -> c.resume());
    }
  }

  @Override
  public void end() {
    call = null;
    releasePermit(Outcome.SUCCESS);
    if (clientGone) {
      finish(RequestOutcome.CLIENT_GONE);
      return;
    }
    if (wholeResponse != null) {
      state = DRAINING;
      BodyBuffer whole = wholeResponse;
      whole.end(ar -> {
        if (finished) {
          return;
        }
        response.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(whole.length()));
        whole.writeTo(response, this::onSpoolDrained);
      });
    } else if (spool != null) {
      state = DRAINING;
      spool.end();
    } else if (pending != null) {
      // Head, body and end in one write: one flush, one syscall.
      Buffer last = pending;
      pending = null;
      response.end(last);
      finish(RequestOutcome.SERVED);
    } else {
      response.end();
      finish(RequestOutcome.SERVED);
    }
  }

  @Override
  public void failed(BackendException failure) {
    call = null;
    boolean timeout = failure.kind() == BackendException.Kind.TIMEOUT;
    releasePermit(timeout ? Outcome.TIMEOUT : Outcome.IGNORED);
    RequestOutcome outcome = timeout ? RequestOutcome.BACKEND_TIMEOUT : RequestOutcome.BACKEND_ERROR;
    LOG.log(Level.WARNING, "backend " + backend + ": " + (timeout ? 504 : 502) + " for " + head.method() + " "
        + head.uri() + ": " + failure.getMessage());
    if (clientGone) {
      finish(RequestOutcome.CLIENT_GONE);
    } else if (state == SENDING) {
      respond(timeout ? 504 : 502, timeout ? "the backend did not answer in time" : "the backend failed: "
          + failure.getMessage(), outcome, -1, false);
    } else {
      // The status line is out: all that is left is to tell the client the response is incomplete.
      abortClient();
      finish(outcome);
    }
  }

  // ---- the client's side

  private void writeHead(ResponseHead h) {
    response.setStatusCode(h.status());
    if (!h.reason().isEmpty()) {
      response.setStatusMessage(h.reason());
    }
    MultiMap out = response.headers();
    List<String> named = connectionTokens(h.headers());
    String declaredLength = null;
    for (Map.Entry<String, String> e : h.headers()) {
      String name = e.getKey();
      if (CONTENT_LENGTH.contentEqualsIgnoreCase(name)) {
        declaredLength = e.getValue();
        continue;
      }
      if (hopByHop(name) || (named != null && containsIgnoreCase(named, name))) {
        continue;
      }
      out.add(name, e.getValue());
    }
    boolean bodiless = request.method() == HttpMethod.HEAD || h.status() == 304;
    if (bodiless) {
      // The length describes the representation the client did not ask to receive: pass it on unchanged.
      if (declaredLength != null) {
        out.set(HttpHeaders.CONTENT_LENGTH, declaredLength);
      }
    } else if (h.status() == 204) {
      return;
    } else if (h.contentLength() >= 0) {
      out.set(HttpHeaders.CONTENT_LENGTH, Long.toString(h.contentLength()));
    } else if (request.version() == HttpVersion.HTTP_1_0) {
      // An HTTP/1.0 client cannot read chunks: the length must be known before the first byte goes out.
      wholeResponse = new BodyBuffer(proxy.vertx(), settings.tempDir(), settings.memoryBuffer());
    } else {
      response.setChunked(true);
    }
  }

  private void onSpoolDrained(AsyncResult<Void> ar) {
    if (finished) {
      return;
    }
    if (ar.failed()) {
      LOG.log(Level.ERROR, "cannot buffer a response for a slow client: " + ar.cause().getMessage());
      abortClient();
      finish(RequestOutcome.BACKEND_ERROR);
      return;
    }
    response.end();
    finish(RequestOutcome.SERVED);
  }

  private void onClientGone() {
    if (finished) {
      return;
    }
    clientGone = true;
    switch (state) {
      case READING:
        finish(RequestOutcome.CLIENT_GONE);
        break;
      case QUEUED:
        if (proxy.dispatcher().cancel(this)) {
          finish(RequestOutcome.CLIENT_GONE);
        }
        // Otherwise a grant or a rejection is on its way here, and will see the client gone.
        break;
      case SENDING:
        // The backend is working on it: let it finish, so the permit reflects what the backend is doing.
        break;
      case RESPONDING:
        if (call != null) {
          call.abort();
          call = null;
        }
        releasePermit(Outcome.IGNORED);
        finish(RequestOutcome.CLIENT_GONE);
        break;
      default:
        finish(RequestOutcome.CLIENT_GONE);
    }
  }

  /** Answers on Sluice's own behalf, with a short text body. */
  private void respond(int status, String message, RequestOutcome outcome, int retryAfterSeconds, boolean close) {
    finish(outcome);
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      abortClient();
      return;
    }
    response.headers().clear();
    response.setStatusCode(status);
    response.putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
    if (retryAfterSeconds >= 0) {
      response.putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(retryAfterSeconds));
    }
    if (close) {
      response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
    }
    String text = status + " " + io.netty.handler.codec.http.HttpResponseStatus.valueOf(status).reasonPhrase()
        + ": " + message + "\n";
    response.end(text).onComplete(v -> {
      if (close) {
        request.connection().close();
      }
    });
  }

  private void abortClient() {
    request.connection().close();
  }

  private void releasePermit(Outcome outcome) {
    Permit p = permit;
    if (p != null) {
      permit = null;
      p.release(outcome);
    }
  }

  private void finish(RequestOutcome outcome) {
    if (finished) {
      return;
    }
    finished = true;
    state = DONE;
    pending = null;
    ClientConnections.requestEnded(connection);
    proxy.stats().onFinished(outcome);
    if (body != null) {
      body.discard();
    }
    if (outcome != RequestOutcome.SERVED) {
      if (spool != null) {
        spool.discard();
      }
      if (wholeResponse != null) {
        wholeResponse.discard();
      }
    } else if (wholeResponse != null) {
      wholeResponse.discard();
    }
  }

  private static boolean hopByHop(String name) {
    for (AsciiString h : HOP_BY_HOP) {
      if (h.contentEqualsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  private static List<String> connectionTokens(MultiMap headers) {
    String v = headers.get(HttpHeaders.CONNECTION);
    if (v == null || v.equalsIgnoreCase("close") || v.equalsIgnoreCase("keep-alive")) {
      return null;
    }
    return List.of(v.split("\\s*,\\s*"));
  }

  private static boolean containsIgnoreCase(List<String> names, String name) {
    for (String n : names) {
      if (n.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }
}
