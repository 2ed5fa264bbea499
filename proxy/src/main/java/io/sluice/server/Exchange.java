package io.sluice.server;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.sluice.backend.BackendCall;
import io.sluice.backend.BackendException;
import io.sluice.backend.ClientSide;
import io.sluice.backend.Loop;
import io.sluice.backend.RequestHead;
import io.sluice.backend.ResponseHead;
import io.sluice.buffer.Spool;
import io.sluice.queue.Rejection;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.lang.System.Logger.Level;

/**
 * The client's side of one request: it takes the request in (the whole body, before the request asks for a backend
 * slot), hands it to a {@link BackendCall}, and writes what comes back to the client, straight while the client keeps
 * up and through a {@link Spool} from the first time it does not, so that the backend is never held by a slow client.
 * A body with no room in the buffer budget is answered 503 (the rest of it is read and dropped, so the connection
 * stays usable); a spool out of budget pauses the backend until the client catches up. A response of unknown length
 * to an HTTP/1.0 client is streamed like any other and ends when the connection closes.
 *
 * <pre>
 *   READING ──body complete──▶ FORWARDING ──response head──▶ RESPONDING ──backend done──▶ DRAINING ──written──▶ DONE
 *                                   └──────── client gone ───────┴──▶ ABANDONED ──call let go──▶ DONE
 * </pre>
 *
 * <p>The call owns the backend slot and the connection; this exchange owns the client's answer, the request body and
 * the response buffers, and frees them when it is done, never before the call has let go of the body.
 *
 * <p>Confined to the event loop of the client's connection; the call calls back on it.
 */
final class Exchange implements ClientSide {

  private static final System.Logger LOG = System.getLogger(Exchange.class.getName());

  /**
   * As the class comment draws them. ABANDONED: the client left while the call had the request: waiting for it to let
   * go.
   */
  private enum State { READING, FORWARDING, RESPONDING, DRAINING, ABANDONED, DONE }

  /** Seconds a client refused for want of buffer space is told to wait: buffers free as queued requests go. */
  private static final int BUFFERS_FULL_RETRY_AFTER = 5;

  private final Proxy proxy;
  private final HttpServerRequest request;
  private final HttpServerResponse response;
  private final Loop loop;
  private final Proxy.Settings settings;
  /** When the request's head arrived, by the wall clock: what an {@code X-Request-Start} would say. */
  private final long receivedAtMillis;
  private BodyIntake intake;
  private BackendCall call;
  private Spool spool;
  /** An HTTP/1.0 client's response of unknown length: it ends when the connection closes. */
  private boolean closeDelimited;
  /** The latest body piece, held until the read that brought it is over: a whole small response goes out at once. */
  private Buffer pending;
  private State state = State.READING;
  private ClientConnections.Connection connection;

  Exchange(Proxy proxy, HttpServerRequest request, Loop loop) {
    this.proxy = proxy;
    this.request = request;
    this.response = request.response();
    this.loop = loop;
    this.settings = proxy.settings();
    this.receivedAtMillis = System.currentTimeMillis();
  }

  void start() {
    proxy.stats().onReceived();
    connection = proxy.connections().requestStarted(request.connection());
    response.closeHandler(v -> onClientGone());
    String refusal = RequestHeads.refusal(request);
    if (refusal != null) {
      respond(400, refusal, RequestOutcome.REJECTED, -1, true);
      return;
    }
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
      if (!proxy.couldBuffer(declared > 0 ? declared : -1)) {
        buffersFull();
        return;
      }
      if (request.headers().contains(HttpHeaders.EXPECT, HttpHeaders.CONTINUE, true)) {
        response.writeContinue();
      }
      intake = new BodyIntake(this, proxy, request);
      ClientConnections.readingBody(connection, intake);
    } else {
      forward(declared == 0 ? 0 : -1);
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

  /** The whole body is in its buffer (or could not be buffered). */
  void bodyComplete(AsyncResult<Void> ar) {
    if (state != State.READING) {
      return;
    }
    if (ar.failed()) {
      LOG.log(Level.ERROR, "cannot buffer a request body: " + ar.cause().getMessage());
      respond(500, "the request body could not be buffered", RequestOutcome.REJECTED, -1, true);
      return;
    }
    forward(intake.received());
  }

  /** The body stopped arriving for longer than the client body timeout. */
  void bodyTimedOut() {
    if (state == State.READING) {
      respond(408, "the request body stopped arriving", RequestOutcome.REJECTED, -1, true);
    }
  }

  /** The body, past the client body timeout, came more slowly than the minimum rate. */
  void bodyTooSlow() {
    if (state == State.READING) {
      respond(408, "the request body arrives too slowly", RequestOutcome.REJECTED, -1, true);
    }
  }

  /** Neither memory nor disk has room for the body: 503, and the rest of it is read and dropped. */
  void buffersFull() {
    proxy.buffersFull();
    respond(503, "no room to buffer the request body", RequestOutcome.BUFFERS_FULL, BUFFERS_FULL_RETRY_AFTER, false);
  }

  void tooLarge() {
    respond(413, "the request body is larger than the limit of " + settings.maxBody() + " bytes",
        RequestOutcome.TOO_LARGE, -1, true);
  }

  /** Hands the request to the backend side. */
  private void forward(long contentLength) {
    RequestHead head = RequestHeads.of(request, contentLength, receivedAtMillis, proxy.forwarding());
    state = State.FORWARDING;
    call = new BackendCall(proxy.upstreams(), head, intake == null ? null : intake.body(), this, loop);
    call.start();
  }

  // ---- what the backend side says, on this event loop

  @Override
  public void refused(int status, String message, boolean close) {
    respond(status, message, RequestOutcome.REJECTED, -1, close);
  }

  @Override
  public void rejected(Rejection why, int retryAfterSeconds) {
    RequestOutcome outcome = switch (why) {
      case QUEUE_FULL -> RequestOutcome.QUEUE_FULL;
      case TIMEOUT -> RequestOutcome.QUEUE_TIMEOUT;
      case OVERLOADED -> RequestOutcome.OVERLOADED;
      case SHUTDOWN -> RequestOutcome.SHUTDOWN;
    };
    respond(503, why.reason(), outcome, retryAfterSeconds, false);
  }

  @Override
  public void head(ResponseHead h) {
    state = State.RESPONDING;
    boolean bodiless = request.method() == HttpMethod.HEAD || h.status() == 304;
    closeDelimited = ResponseHeads.copy(h, response, bodiless, request.version() == HttpVersion.HTTP_1_0);
    if (closeDelimited) {
      // Vert.x writes "Connection: keep-alive" to an HTTP/1.0 client that asked for it; this body ends with the
      // connection, so it says close instead, once Vert.x has set its headers.
      response.headersEndHandler(v -> response.headers().set(HttpHeaders.CONNECTION, HttpHeaders.CLOSE));
    }
  }

  @Override
  public void body(Buffer data) {
    if (state != State.RESPONDING) {
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
    if (pending != null && state == State.RESPONDING) {
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
      spool = proxy.newSpool();
      spool.pipeTo(response, this::onResponseWritten);
      ClientConnections.sending(connection, this);
    }
    toSpool(data);
  }

  private void toSpool(Buffer data) {
    spool.write(data);
    if (spool.writeQueueFull()) {
      BackendCall c = call;
      c.pause();
      spool.drainHandler(v -> c.resume());
    }
  }

  @Override
  public void end() {
    if (intake != null) {
      // The call has let go of the request body: its buffer goes back to the budget before a slow client is done.
      intake.stop();
    }
    if (spool != null) {
      state = State.DRAINING;
      spool.end();
    } else {
      // Head, body and end in one write when they fit: one flush, one syscall.
      Buffer last = pending;
      pending = null;
      served(last);
    }
  }

  /**
   * Counts the response served, then ends it (with {@code last}, if any): counted first, because the client may have
   * it, and its connection may close, before {@code end} returns. A close-delimited body ends when the connection
   * closes, once the last byte is written.
   */
  private void served(Buffer last) {
    finish(RequestOutcome.SERVED);
    Future<Void> ended = last == null ? response.end() : response.end(last);
    if (closeDelimited) {
      ended.onComplete(v -> request.connection().close());
    }
  }

  @Override
  public void failed(BackendException failure) {
    boolean timeout = failure.kind() == BackendException.Kind.TIMEOUT;
    RequestOutcome outcome = timeout ? RequestOutcome.BACKEND_TIMEOUT : RequestOutcome.BACKEND_ERROR;
    if (state == State.FORWARDING) {
      respond(timeout ? 504 : 502, timeout ? "the backend did not answer in time" : "the backend failed: "
          + failure.getMessage(), outcome, -1, false);
    } else {
      // The status line is out: all that is left is to tell the client the response is incomplete.
      request.connection().close();
      finish(outcome);
    }
  }

  @Override
  public void cancelled() {
    finish(RequestOutcome.CLIENT_GONE);
  }

  // ---- the client's side

  /**
   * How long the client has taken no byte while bytes wait for it, as seen by the sweeps of its connection: 0 while
   * it takes bytes, or has none to take.
   */
  long sendStalledFor(long now) {
    return spool != null && (state == State.RESPONDING || state == State.DRAINING) ? spool.consumerStalledFor(now) : 0;
  }

  /**
   * Whether the response, with no room left in its spool, holds the backend slot while requests wait for one: the
   * backend is read only as fast as the client takes.
   */
  boolean holdsSlotOthersWaitFor() {
    return state == State.RESPONDING && call.pausedWhileOthersWait();
  }

  /** The client took no byte for the send (or held-slot) timeout: it is closed, and what was buffered for it freed. */
  void sendTimedOut() {
    if (state == State.RESPONDING || state == State.DRAINING) {
      LOG.log(Level.DEBUG, () -> "closing a client that took no byte of its response"
          + (holdsSlotOthersWaitFor() ? " while holding a backend slot others wait for" : "") + ": "
          + request.method() + " " + request.uri());
      ClientConnections.abort(request.connection());
    }
  }

  private void onResponseWritten(AsyncResult<Void> ar) {
    if (state != State.DRAINING) {
      return;
    }
    if (ar.failed()) {
      LOG.log(Level.ERROR, "cannot buffer a response for a slow client: " + ar.cause().getMessage());
      request.connection().close();
      finish(RequestOutcome.BACKEND_ERROR);
      return;
    }
    served(null);
  }

  private void onClientGone() {
    switch (state) {
      case FORWARDING:
      case RESPONDING:
        state = State.ABANDONED;
        call.cancel();
        break;
      case READING:
      case DRAINING:
        finish(RequestOutcome.CLIENT_GONE);
        break;
      default:
        break;
    }
  }

  /** Answers on Sluice's own behalf, with a short text body. */
  private void respond(int status, String message, RequestOutcome outcome, int retryAfterSeconds, boolean close) {
    finish(outcome);
    if (response.ended() || response.closed()) {
      return;
    }
    if (response.headWritten()) {
      request.connection().close();
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
    String text = status + " " + HttpResponseStatus.valueOf(status).reasonPhrase() + ": " + message + "\n";
    response.end(text).onComplete(v -> {
      if (close) {
        ClientConnections.closeLingering(request.connection());
      }
    });
  }

  /** Counts the request once and frees what it holds; the spool of a served response is freed as it drains. */
  private void finish(RequestOutcome outcome) {
    if (state == State.DONE) {
      return;
    }
    state = State.DONE;
    pending = null;
    ClientConnections.requestEnded(connection);
    proxy.stats().onFinished(outcome);
    if (intake != null) {
      intake.stop();
    }
    if (spool != null && outcome != RequestOutcome.SERVED) {
      spool.discard();
    }
  }
}
