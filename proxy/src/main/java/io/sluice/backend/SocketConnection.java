package io.sluice.backend;

import io.sluice.buffer.BodyBuffer;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * A {@link BackendConnection} over a Vert.x {@link NetSocket}: bytes in go through the protocol's decoder to the call
 * attached, the request goes out as the protocol writes it. Confined to its event loop.
 */
final class SocketConnection implements BackendConnection, ResponseDecoder.Listener, Handler<AsyncResult<Void>> {

  private final SocketConnector owner;
  private final BackendProtocol protocol;
  private final NetSocket socket;
  private final ResponseDecoder decoder;
  private Listener call;
  private int calls;
  private boolean closed;
  private boolean sawBytes;
  private boolean written;
  private Throwable lastError;
  private long idleSince;

  SocketConnection(SocketConnector owner, BackendProtocol protocol, NetSocket socket) {
    this.owner = owner;
    this.protocol = protocol;
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
  public void attach(Listener listener, String method) {
    call = listener;
    calls++;
    sawBytes = false;
    written = false;
    lastError = null;
    decoder.expect(method);
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
      socket.close();
    }
  }

  @Override
  public boolean reused() {
    return calls > 1;
  }

  @Override
  public boolean sawResponseBytes() {
    return sawBytes;
  }

  @Override
  public boolean reusable() {
    return written && !closed && decoder.reusable() && protocol.reusesConnections();
  }

  boolean closed() {
    return closed;
  }

  long idleSince() {
    return idleSince;
  }

  void markIdle(long now) {
    idleSince = now;
  }

  private void onData(Buffer data) {
    Listener c = call;
    if (c == null) {
      // Bytes from an idle backend connection belong to no request: the connection is not fit for reuse.
      close();
      return;
    }
    sawBytes = true;
    try {
      decoder.feed(data);
    } catch (MalformedResponseException e) {
      c.onMalformed(e);
      return;
    }
    if (call != null) {
      c.onReadComplete();
    }
  }

  private void onClose() {
    closed = true;
    if (call == null) {
      owner.forget(this);
    }
  }

  private void onEndOfInput() {
    closed = true;
    Listener c = call;
    if (c == null) {
      owner.forget(this);
      return;
    }
    if (sawBytes) {
      try {
        decoder.endOfInput();
      } catch (MalformedResponseException e) {
        c.onClosed(e);
        return;
      }
    }
    if (call != null) {
      c.onClosed(lastError);
    }
  }

  @Override
  public void onHead(ResponseHead head) {
    call.onHead(head);
  }

  @Override
  public void onBody(Buffer data) {
    call.onBody(data);
  }

  @Override
  public void onEnd() {
    call.onEnd();
  }
}
