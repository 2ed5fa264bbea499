package io.sluice.backend.http;

import io.sluice.backend.BackendProtocol;
import io.sluice.backend.RequestHead;
import io.vertx.core.buffer.Buffer;

/**
 * HTTP/1.1 to a backend (gunicorn, uWSGI's {@code --http-socket}): the head as {@link HttpRequestEncoder} writes it,
 * the body after it with its {@code Content-Length}, responses read as HTTP/1.x, connections kept
 * alive when the backend keeps them. It has no options: every HTTP backend encodes alike.
 */
public final class HttpProtocol implements BackendProtocol {

  @Override
  public Buffer encodeHead(RequestHead head) {
    return HttpRequestEncoder.encode(head);
  }

  @Override
  public boolean encodesLike(BackendProtocol other) {
    return other instanceof HttpProtocol;
  }

  @Override
  public boolean reusesConnections() {
    return true;
  }

  @Override
  public String toString() {
    return "http";
  }
}
