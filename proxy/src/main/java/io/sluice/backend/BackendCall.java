package io.sluice.backend;

import io.sluice.buffer.BodyBuffer;
import io.sluice.kernel.KernelQueue;
import io.sluice.limit.Outcome;
import io.sluice.limit.Permit;
import io.sluice.queue.Rejection;
import io.sluice.queue.Ticket;
import io.sluice.queue.Waiter;
import io.vertx.core.AsyncResult;
import io.vertx.core.buffer.Buffer;
import java.lang.System.Logger.Level;
import java.util.Set;

/**
 * The backend side of one request, from its place in the queue to the end of its response. It encodes the head
 * before the request waits (once per way its backends encode, so a request no backend could take is refused at once),
 * waits for a {@link Permit}, sends the request over a connection of the backend the permit names, hands the response
 * to its {@link ClientSide}, and gives the permit back at one point ({@code settle}) with how the exchange ended.
 *
 * <pre>
 *   QUEUED ──grant──▶ CONNECTING ──connected──▶ SENT ──head──▶ STREAMING ──end or failure──▶ DONE
 *     ▲                   │
 *     └─ refused connect ─┘  (permit.retryLater: first in line again; the next grant may name another backend)
 * </pre>
 *
 * <p>{@link #cancel} (the client left) ends a queued call at once when the dispatcher still has it; otherwise the call
 * becomes ORPHANED and lets go at its next event: a grant on its way is handed back, a new connection is closed unused,
 * a request the backend has is left to produce its head (so the permit reflects what the backend does) and is then
 * aborted; a response being streamed is aborted at once.
 *
 * <p>Sent again what the backend never answered: an idempotent request (RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE,
 * PUT, DELETE) whose connection ends before any byte of the response arrived. On a reused keep-alive connection the
 * backend most likely closed it as the request went out: the request is sent again at once on a new connection, under
 * the same permit. On a new connection the backend dropped it (it was killed or is restarting, say): the permit goes
 * back as after a refused connect ({@link Permit#retryLater}, which teaches the limit nothing and pauses the backend
 * for a short backoff) and the request waits first in line again, for any backend; this happens once per request, and
 * a second such failure is a 502. POST and PATCH are never sent again: the backend may have acted on them. Each
 * retry is counted by {@link RetryReason}.
 *
 * <p>Confined to the event loop of its client ({@link Loop}); the dispatcher's verdicts are moved onto it. The client
 * side is called back there.
 */
public final class BackendCall implements Ticket, BackendConnection.Listener {

  private static final System.Logger LOG = System.getLogger(BackendCall.class.getName());
  /** RFC 9110 §9.2.2: safe to send again. */
  private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

  /**
   * As the class comment draws them. ORPHANED: the client left while a verdict, a connect or the backend's head was
   * on its way.
   */
  private enum State { NEW, QUEUED, CONNECTING, SENT, STREAMING, ORPHANED, DONE }

  private final Upstreams upstreams;
  private final RequestHead head;
  private final BodyBuffer body;
  private final ClientSide client;
  private final Loop loop;
  private final Waiter waiter;
  /** The head for the first way of encoding: for every backend, unless they encode in several ways. */
  private Buffer encoded;
  /** The heads for the other ways, when there are any. */
  private Buffer[] encodedOthers;
  private Permit permit;
  private Upstream upstream;
  private BackendConnection conn;
  private CallTimeouts timeouts;
  private State state = State.NEW;
  /** The request went back to the queue once after its connection was dropped unanswered. */
  private boolean requeued;
  private long lastActivity;
  private boolean paused; // by pause(): the client side has no room for more of the response
  // The intrusive list of CallTimeouts.
  BackendCall timedPrev;
  BackendCall timedNext;
  boolean timed;

  /**
   * @param body   the request body, whole, or {@code null}; the caller keeps it until the call has ended
   * @param client told what becomes of the request, on {@code loop}
   */
  public BackendCall(Upstreams upstreams, RequestHead head, BodyBuffer body, ClientSide client, Loop loop) {
    this.upstreams = upstreams;
    this.head = head;
    this.body = body;
    this.client = client;
    this.loop = loop;
    // A slot freed on this loop may come to this request early, to reuse its connection (none is, over uwsgi).
    this.waiter = new Waiter(this, upstreams.reusesConnections() ? loop : null);
  }

  /** Encodes the head for every backend, then queues the request; or refuses it at once. Call on the loop. */
  public void start() {
    try {
      encoded = upstreams.encoding(0).encodeHead(head);
      int ways = upstreams.encodings();
      if (ways > 1) {
        encodedOthers = new Buffer[ways - 1];
        for (int i = 1; i < ways; i++) {
          encodedOthers[i - 1] = upstreams.encoding(i).encodeHead(head);
        }
      }
    } catch (RequestRefusedException e) {
      state = State.DONE;
      client.refused(e.status(), e.getMessage(), false);
      return;
    } catch (IllegalArgumentException e) {
      state = State.DONE;
      client.refused(400, "the request cannot be forwarded: " + e.getMessage(), true);
      return;
    }
    state = State.QUEUED;
    upstreams.dispatcher().enqueue(waiter);
  }

  /** The client is gone: let go of everything as soon as it is safe; {@link ClientSide#cancelled} follows, once. */
  public void cancel() {
    switch (state) {
      case QUEUED:
        if (upstreams.dispatcher().cancel(waiter)) {
          state = State.DONE;
          client.cancelled();
        } else {
          // A grant or a rejection is on its way here.
          state = State.ORPHANED;
        }
        break;
      case CONNECTING:
      case SENT:
        state = State.ORPHANED;
        break;
      case STREAMING:
        dropConnection();
        letGo();
        break;
      default:
        break;
    }
  }

  /**
   * Stops reading the response (the client cannot keep up and its spool is at its limit). The backend's timeout does
   * not run meanwhile: the wait is the client's, which the client's send timeout bounds.
   */
  public void pause() {
    if (state == State.STREAMING) {
      paused = true;
      conn.pause();
      timeouts.remove(this);
    }
  }

  public void resume() {
    if (state == State.STREAMING) {
      paused = false;
      conn.resume();
      if (!timed) {
        lastActivity = timeouts.now();
        timeouts.add(this);
      }
    }
  }

  /** Whether reading is paused while requests wait for a slot, in Sluice's queue or the backend's accept queue. */
  public boolean pausedWhileOthersWait() {
    return state == State.STREAMING && paused && (upstreams.dispatcher().depth() > 0
        || upstream.kernelQueue() instanceof KernelQueue.Known k && k.depth() > 0);
  }

  // ---- the dispatcher's verdict, on any thread

  @Override
  public void granted(Permit p) {
    if (loop.inLoop()) {
      onGranted(p);
    } else {
      loop.execute(v -> onGranted(p));
    }
  }

  @Override
  public void rejected(Rejection why, int retryAfterSeconds) {
    if (loop.inLoop()) {
      onRejected(why, retryAfterSeconds);
    } else {
      loop.execute(v -> onRejected(why, retryAfterSeconds));
    }
  }

  private void onGranted(Permit p) {
    permit = p;
    if (state == State.ORPHANED) {
      letGo();
      return;
    }
    upstream = upstreams.get(p.backend());
    upstreams.metrics().queueWait(upstreams.now() - waiter.enqueuedAtNanos());
    BackendConnection idle = upstream.connector().idle();
    if (idle != null) {
      send(idle);
    } else {
      connect();
    }
  }

  private void onRejected(Rejection why, int retryAfterSeconds) {
    boolean orphaned = state == State.ORPHANED;
    state = State.DONE;
    if (orphaned) {
      client.cancelled();
    } else {
      client.rejected(why, retryAfterSeconds);
    }
  }

  // ---- the backend

  private void connect() {
    state = State.CONNECTING;
    upstream.connector().connect().onComplete(this::onConnect);
  }

  private void onConnect(AsyncResult<BackendConnection> ar) {
    if (ar.failed()) {
      boolean busy = ConnectFailures.busy(ar.cause());
      upstream.connectFailed(busy, ar.cause());
      if (state == State.ORPHANED) {
        letGo();
      } else {
        // The backend never received it: back to the front of the queue, and the backend backs off.
        state = State.QUEUED;
        settle(busy ? Outcome.OVERLOAD : Outcome.IGNORED, true);
      }
      return;
    }
    permit.connected();
    upstream.answered();
    if (state == State.ORPHANED) {
      ar.result().close();
      letGo();
      return;
    }
    send(ar.result());
  }

  private void send(BackendConnection c) {
    conn = c;
    state = State.SENT;
    c.attach(this, head.method());
    timeouts = upstream.connector().timeouts();
    lastActivity = timeouts.now();
    timeouts.add(this);
    int way = upstreams.encodingOf(upstream.lane().index());
    c.send(way == 0 ? encoded : encodedOthers[way - 1], body);
  }

  @Override
  public void onHead(ResponseHead h) {
    if (state == State.ORPHANED) {
      dropConnection();
      letGo();
      return;
    }
    if (state == State.SENT) {
      lastActivity = timeouts.now();
      upstream.answered();
      state = State.STREAMING;
      client.head(h);
    }
  }

  @Override
  public void onBody(Buffer data) {
    if (state == State.STREAMING) {
      lastActivity = timeouts.now();
      client.body(data);
    }
  }

  @Override
  public void onReadComplete() {
    if (state == State.STREAMING) {
      client.readComplete();
    }
  }

  @Override
  public void onEnd() {
    if (state != State.STREAMING) {
      return;
    }
    timeouts.remove(this);
    BackendConnection c = conn;
    conn = null;
    c.detach();
    if (c.reusable()) {
      upstream.connector().recycle(c);
    } else {
      c.close();
    }
    state = State.DONE;
    settle(Outcome.SUCCESS, false);
    client.end();
  }

  @Override
  public void onMalformed(MalformedResponseException e) {
    fail(BackendException.Kind.PROTOCOL, "invalid response: " + e.getMessage(), e);
  }

  @Override
  public void onClosed(Throwable cause) {
    if (state != State.SENT && state != State.STREAMING && state != State.ORPHANED) {
      return;
    }
    if (!conn.sawResponseBytes() && IDEMPOTENT.contains(head.method()) && (conn.reused() || !requeued)) {
      // The backend never answered this copy: it may have another.
      boolean stale = conn.reused();
      timeouts.remove(this);
      conn.detach();
      conn.close();
      conn = null;
      if (state == State.ORPHANED) {
        letGo();
      } else if (stale) {
        // The backend closed the idle connection as the request went out.
        upstream.retried(RetryReason.STALE_CONNECTION);
        connect();
      } else {
        requeued = true;
        upstream.retried(cause == null ? RetryReason.CLOSED_BEFORE_RESPONSE : RetryReason.RESET_BEFORE_RESPONSE);
        upstream.droppedUnanswered(cause);
        state = State.QUEUED;
        settle(Outcome.IGNORED, true);
      }
      return;
    }
    fail(BackendException.Kind.CLOSED, cause == null
        ? "the backend closed the connection before the response was complete"
        : "the connection failed before the response was complete: " + ConnectFailures.describe(cause), cause);
  }

  long lastActivity() {
    return lastActivity;
  }

  /** No response progress for the backend's timeout: called by {@link CallTimeouts}. */
  void onTimeout() {
    fail(BackendException.Kind.TIMEOUT, "no response within " + timeouts.timeoutNanos() / 1_000_000 + " ms", null);
  }

  private void fail(BackendException.Kind kind, String message, Throwable cause) {
    if (state != State.SENT && state != State.STREAMING && state != State.ORPHANED) {
      return;
    }
    dropConnection();
    boolean timeout = kind == BackendException.Kind.TIMEOUT;
    LOG.log(Level.WARNING, "backend " + upstream + ": " + (timeout ? 504 : 502) + " for " + head.method() + " "
        + head.uri() + ": " + message);
    boolean orphaned = state == State.ORPHANED;
    state = State.DONE;
    settle(timeout ? Outcome.TIMEOUT : Outcome.IGNORED, false);
    if (orphaned) {
      client.cancelled();
    } else {
      client.failed(new BackendException(kind, message, cause));
    }
  }

  /** Ends a call whose client has gone: the backend's part taught the limit nothing. */
  private void letGo() {
    state = State.DONE;
    settle(Outcome.IGNORED, false);
    client.cancelled();
  }

  /** Closes the connection in use, whatever it was doing, and forgets it. */
  private void dropConnection() {
    timeouts.remove(this);
    conn.detach();
    conn.close();
    conn = null;
  }

  /**
   * Gives the permit back: the one place it happens, with how the exchange with the backend ended. With
   * {@code again} the backend never received the request, and the dispatcher puts it back in line.
   */
  private void settle(Outcome outcome, boolean again) {
    Permit p = permit;
    permit = null;
    if (again) {
      p.retryLater(outcome == Outcome.OVERLOAD);
    } else {
      p.release(outcome);
    }
  }
}
