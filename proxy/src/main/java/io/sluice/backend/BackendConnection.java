package io.sluice.backend;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

/**
 * One connection to a backend, carrying one {@link BackendCall} at a time. Confined to its event loop.
 */
final class BackendConnection implements ResponseParser.Listener {

  private final Backend backend;
  private final NetSocket socket;
  private final ResponseParser parser;
  private BackendCall call;
  private boolean closed;
  private boolean sawBytes;
  private Throwable lastError;
  private long idleSince;

  BackendConnection(Backend backend, NetSocket socket) {
    this.backend = backend;
    this.socket = socket;
    this.parser = new ResponseParser(this, Backend.MAX_RESPONSE_HEAD);
    socket.handler(this::onData);
    socket.exceptionHandler(t -> lastError = t);
    // The end of input is read in the end handler, which runs after every byte already received has been delivered
    // (even while the socket is paused); the close handler runs as soon as the close is seen, possibly before.
    socket.endHandler(v -> onEndOfInput());
    socket.closeHandler(v -> onClose());
  }

  NetSocket socket() {
    return socket;
  }

  ResponseParser parser() {
    return parser;
  }

  void attach(BackendCall c, String method) {
    call = c;
    sawBytes = false;
    lastError = null;
    parser.expect(method);
  }

  void detach() {
    call = null;
  }

  boolean closed() {
    return closed;
  }

  /** Whether any byte of the current response arrived. */
  boolean sawBytes() {
    return sawBytes;
  }

  long idleSince() {
    return idleSince;
  }

  void markIdle() {
    idleSince = System.nanoTime();
  }

  void close() {
    if (!closed) {
      closed = true;
      socket.close();
    }
  }

  private void onData(Buffer data) {
    BackendCall c = call;
    if (c == null) {
      // Bytes from an idle backend connection belong to no request: the connection is not fit for reuse.
      close();
      return;
    }
    sawBytes = true;
    try {
      parser.feed(data);
    } catch (MalformedResponseException e) {
      c.onProtocolError(e);
      return;
    }
    c.onReadComplete();
  }

  private void onClose() {
    closed = true;
    if (call == null) {
      backend.removeIdle(this);
    }
  }

  private void onEndOfInput() {
    closed = true;
    BackendCall c = call;
    if (c == null) {
      backend.removeIdle(this);
      return;
    }
    if (sawBytes) {
      try {
        parser.endOfInput();
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
