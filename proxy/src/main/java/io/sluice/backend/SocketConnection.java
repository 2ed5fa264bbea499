package io.sluice.backend;

import io.sluice.buffer.BodyBuffer;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * A {@link BackendConnection} over a Vert.x {@link NetSocket}: bytes in go through the protocol's decoder to the call
 * attached, the request goes out as the protocol writes it. It tells its {@link SocketConnector} once when it closes,
 * whoever closed it, so that the connector's count of open connections stays exact. Confined to its event loop.
 *
 * <p>A call may let go of the connection (detach) in the middle of a read, when its client has left: what the decoder
 * still reports from that read goes nowhere.
 */
final class SocketConnection implements BackendConnection, ConnectionPool.Member, ResponseDecoder.Listener,
    Handler<AsyncResult<Void>> {

  private final SocketConnector owner;
  private final BackendProtocol protocol;
  private final NetSocket socket;
  private final ResponseDecoder decoder;
  private Listener call;
  private int calls;
  private boolean closed;
  /** Closed by Sluice, which never closes a connection while it is in the idle pool. */
  private boolean closedHere;
  private boolean released;
  private boolean forgotten;
  private boolean sawBytes;
  private boolean written;
  /** The current response has no body by its nature (a response to HEAD, a 204 or a 304). */
  private boolean bodiless;
  private String method;
  private Throwable lastError;
  private long idleSince;

  SocketConnection(SocketConnector owner, NetSocket socket) {
    this.owner = owner;
    this.protocol = owner.protocol();
    this.socket = socket;
    this.decoder = protocol.newDecoder(this);
    socket.handler(this::onData);
    socket.exceptionHandler(t -> lastError = t);
    // The end of input is read in the end handler, which runs after every byte already received has been delivered
    // (even while the socket is paused); the close handler runs as soon as the close is seen, possibly before.
    socket.endHandler(v -> onEndOfInput());
    socket.closeHandler(v -> onClose());
  }

  @Override
  public void attach(Listener listener, String requestMethod) {
    call = listener;
    calls++;
    sawBytes = false;
    written = false;
    bodiless = false;
    lastError = null;
    method = requestMethod;
    decoder.expect(requestMethod);
  }

  @Override
  public void detach() {
    call = null;
  }

  @Override
  public void send(Buffer head, BodyBuffer body) {
    protocol.writeRequest(socket, head, body, this);
  }

  /** The request was handed to the socket whole, or could not be. */
  @Override
  public void handle(AsyncResult<Void> ar) {
    written = ar.succeeded();
  }

  @Override
  public void pause() {
    socket.pause();
  }

  @Override
  public void resume() {
    socket.resume();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      closedHere = true;
      socket.close();
    }
    release();
  }

  @Override
  public boolean reused() {
    return calls > 1;
  }

  @Override
  public boolean sawResponseBytes() {
    return sawBytes;
  }

  /**
   * Also never after a response without a body by its nature (to HEAD, a 204, a 304): a backend that sends a body
   * anyway, or sends it late, would have those bytes read as the next request's response; nothing in the framing
   * can show they are not coming. Bytes that arrive after a response, in the same read or while the connection is
   * idle, make it unfit too (the decoder and {@link #onData} see to that).
   */
  @Override
  public boolean reusable() {
    return written && !closed && !bodiless && decoder.reusable() && protocol.reusesConnections();
  }

  @Override
  public boolean closed() {
    return closed;
  }

  @Override
  public long idleSince() {
    return idleSince;
  }

  @Override
  public void idleSince(long nanos) {
    idleSince = nanos;
  }

  private void onData(Buffer data) {
    Listener c = call;
    if (c == null) {
      // Bytes from an idle backend connection belong to no request: the connection is not fit for reuse.
      forget();
      close();
      return;
    }
    sawBytes = true;
    try {
      decoder.feed(data);
    } catch (MalformedResponseException e) {
      if (call != null) {
        c.onMalformed(e);
      }
      return;
    }
    if (call != null) {
      c.onReadComplete();
    }
  }

  private void onClose() {
    closed = true;
    release();
    if (call == null) {
      forget();
    }
  }

  /** Takes an idle connection the backend closed (or spoke on) out of the pool; once, and only if it may be there. */
  private void forget() {
    if (!forgotten && !closedHere) {
      forgotten = true;
      owner.forget(this);
    }
  }

  private void release() {
    if (!released) {
      released = true;
      owner.released();
    }
  }

  private void onEndOfInput() {
    closed = true;
    Listener c = call;
    if (c == null) {
      forget();
      return;
    }
    if (sawBytes) {
      try {
        decoder.endOfInput();
      } catch (MalformedResponseException e) {
        if (call != null) {
          c.onClosed(e);
        }
        return;
      }
    }
    if (call != null) {
      c.onClosed(lastError);
    }
  }

  // The decoder reports synchronously from feed or endOfInput; the call may have let go earlier in the same read.

  @Override
  public void onHead(ResponseHead head) {
    bodiless = "HEAD".equals(method) || head.status() == 204 || head.status() == 304;
    Listener c = call;
    if (c != null) {
      c.onHead(head);
    }
  }

  @Override
  public void onBody(Buffer data) {
    Listener c = call;
    if (c != null) {
      c.onBody(data);
    }
  }

  @Override
  public void onEnd() {
    Listener c = call;
    if (c != null) {
      c.onEnd();
    }
  }
}
