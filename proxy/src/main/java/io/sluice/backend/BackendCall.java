package io.sluice.backend;

import io.sluice.buffer.BodyBuffer;
import io.vertx.core.buffer.Buffer;

/**
 * One request sent to a backend, from connect to the end of the response. Confined to the event loop that started
 * it; the listener is called back there.
 *
 * <p>A reused keep-alive connection may have been closed by the backend just as the request was written. When such
 * a connection fails before any byte of the response arrived, an idempotent request (RFC 9110 §9.2.2) is sent once
 * more on a new connection; the backend never processed the first copy.
 */
public final class BackendCall {

  private static final int CONNECTING = 0;
  private static final int SENDING = 1;
  private static final int STREAMING = 2;
  private static final int DONE = 3;
  private static final int SMALL_BODY = 16 * 1024;

  private final Backend backend;
  private final CallTimeouts timeouts;
  private final String method;
  private final Buffer head;
  private final BodyBuffer body;
  private final BackendListener listener;
  private final long timeoutNanos;
  private BackendConnection conn;
  private boolean reused;
  private boolean retried;
  private boolean requestWritten;
  private int state;
  private long lastActivity;
  // The intrusive list of CallTimeouts.
  BackendCall timedPrev;
  BackendCall timedNext;
  boolean timed;

  BackendCall(Backend backend, CallTimeouts timeouts, String method, Buffer head, BodyBuffer body,
      BackendListener listener, long timeoutNanos) {
    this.backend = backend;
    this.timeouts = timeouts;
    this.method = method;
    this.head = head;
    this.body = body;
    this.listener = listener;
    this.timeoutNanos = timeoutNanos;
  }

  void start() {
    BackendConnection idle = backend.pollIdle();
    if (idle != null) {
      reused = true;
      send(idle);
    } else {
      connect();
    }
  }

  /** Stops reading the response (the client cannot keep up and the spool is at its limit). */
  public void pause() {
    if (conn != null && state != DONE) {
      conn.socket().pause();
    }
  }

  public void resume() {
    if (conn != null && state != DONE) {
      conn.socket().resume();
    }
  }

  /** Gives up: closes the connection; no further callbacks. */
  public void abort() {
    if (state == DONE) {
      return;
    }
    state = DONE;
    timeouts.remove(this);
    if (conn != null) {
      conn.detach();
      conn.close();
    }
  }

  private void connect() {
    state = CONNECTING;
    backend.connect().onComplete(ar -> {
      if (state == DONE) {
        if (ar.succeeded()) {
          ar.result().close();
        }
        return;
      }
      if (ar.failed()) {
        state = DONE;
        listener.connectFailed(ConnectFailures.busy(ar.cause()), ar.cause());
        return;
      }
      listener.connected();
      if (state != DONE) {
        send(new BackendConnection(backend, ar.result()));
      } else {
        ar.result().close();
      }
    });
  }

  private void send(BackendConnection c) {
    conn = c;
    state = SENDING;
    requestWritten = false;
    c.attach(this, method);
    touch();
    timeouts.add(this);
    if (body == null) {
      c.socket().write(head);
      requestWritten = true;
    } else if (!body.spilled() && body.length() <= SMALL_BODY) {
      // One write, one syscall: the head and a small body together.
      Buffer whole = Buffer.buffer(head.length() + (int) body.length()).appendBuffer(head);
      body.copyTo(whole);
      c.socket().write(whole);
      requestWritten = true;
    } else {
      c.socket().write(head);
      body.writeTo(c.socket(), ar -> {
        if (ar.succeeded() && c == conn) {
          requestWritten = true;
        }
      });
    }
  }

  void onHead(ResponseHead h) {
    if (state == DONE) {
      return;
    }
    touch();
    state = STREAMING;
    listener.head(h);
  }

  void onBody(Buffer data) {
    if (state == DONE) {
      return;
    }
    touch();
    listener.body(data);
  }

  void onReadComplete() {
    if (state == STREAMING) {
      listener.readComplete();
    }
  }

  void onEnd() {
    if (state == DONE) {
      return;
    }
    state = DONE;
    timeouts.remove(this);
    BackendConnection c = conn;
    c.detach();
    // uWSGI answers HTTP/1.1 without "Connection: close" and then closes: a uwsgi connection carries one request.
    if (requestWritten && !c.closed() && c.parser().reusable() && backend.reusesConnections()) {
      backend.offerIdle(c);
    } else {
      c.close();
    }
    listener.end();
  }

  void onProtocolError(MalformedResponseException e) {
    fail(BackendException.Kind.PROTOCOL, "invalid response: " + e.getMessage(), e);
  }

  /** The connection closed before the response was complete. */
  void onClosed(Throwable cause) {
    if (state == DONE) {
      return;
    }
    if (reused && !retried && !conn.sawBytes() && idempotent(method)) {
      retried = true;
      reused = false;
      timeouts.remove(this);
      conn.detach();
      conn = null;
      connect();
      return;
    }
    String why = cause == null ? "the backend closed the connection before the response was complete"
        : "the connection failed before the response was complete: " + ConnectFailures.describe(cause);
    fail(BackendException.Kind.CLOSED, why, cause);
  }

  private void fail(BackendException.Kind kind, String message, Throwable cause) {
    if (state == DONE) {
      return;
    }
    state = DONE;
    timeouts.remove(this);
    if (conn != null) {
      conn.detach();
      conn.close();
    }
    listener.failed(new BackendException(kind, message, cause));
  }

  private void touch() {
    lastActivity = System.nanoTime();
  }

  long lastActivity() {
    return lastActivity;
  }

  /** No response progress for the backend's timeout: called by {@link CallTimeouts}. */
  void onTimeout() {
    fail(BackendException.Kind.TIMEOUT, "no response within " + timeoutNanos / 1_000_000 + " ms", null);
  }

  private static boolean idempotent(String method) {
    switch (method) {
      case "GET":
      case "HEAD":
      case "OPTIONS":
      case "TRACE":
      case "PUT":
      case "DELETE":
        return true;
      default:
        return false;
    }
  }
}
