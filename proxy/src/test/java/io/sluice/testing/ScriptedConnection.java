package io.sluice.testing;

import io.sluice.backend.BackendConnection;
import io.sluice.backend.MalformedResponseException;
import io.sluice.backend.ResponseHead;
import io.sluice.buffer.BodyBuffer;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/** A connection to a backend that the test plays: it records what the call sends and answers as told. */
public final class ScriptedConnection implements BackendConnection {

  private Listener listener;
  private int calls;
  private boolean sawBytes;
  public String method;
  public Buffer sentHead;
  public BodyBuffer sentBody;
  public boolean closed;
  public boolean paused;
  /** Whether the backend keeps the connection for another request after a complete response. */
  public boolean keepAlive = true;
  private boolean ended;

  @Override
  public void attach(Listener l, String requestMethod) {
    listener = l;
    method = requestMethod;
    calls++;
    sawBytes = false;
    ended = false;
  }

  @Override
  public void detach() {
    listener = null;
  }

  @Override
  public void send(Buffer head, BodyBuffer body) {
    sentHead = head;
    sentBody = body;
  }

  @Override
  public void pause() {
    paused = true;
  }

  @Override
  public void resume() {
    paused = false;
  }

  @Override
  public void close() {
    closed = true;
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
    return ended && keepAlive && !closed;
  }

  public boolean attached() {
    return listener != null;
  }

  /** The response's head, {@code name, value} pairs after the status; a Content-Length frames the body. */
  public ScriptedConnection head(int status, String... headers) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < headers.length; i += 2) {
      h.add(headers[i], headers[i + 1]);
    }
    String length = h.get("Content-Length");
    sawBytes = true;
    listener.onHead(new ResponseHead(status, "", 1, h, length == null ? -1 : Long.parseLong(length), false,
        keepAlive));
    return this;
  }

  public ScriptedConnection body(String text) {
    sawBytes = true;
    listener.onBody(Buffer.buffer(text));
    return this;
  }

  /** The end of one read from the socket. */
  public ScriptedConnection readComplete() {
    if (listener != null) {
      listener.onReadComplete();
    }
    return this;
  }

  public void end() {
    ended = true;
    listener.onEnd();
  }

  /** The backend closes the connection, or it fails ({@code cause} not null). */
  public void closeByBackend(Throwable cause) {
    closed = true;
    listener.onClosed(cause);
  }

  public void sendGarbage(String problem) {
    sawBytes = true;
    listener.onMalformed(new MalformedResponseException(problem));
  }
}
