package io.sluice.backend.uwsgi;

import io.sluice.backend.BackendProtocol;
import io.sluice.backend.RequestHead;
import io.sluice.backend.RequestRefusedException;
import io.vertx.core.buffer.Buffer;

/**
 * uWSGI's binary protocol, as nginx's {@code uwsgi_pass} speaks it to uWSGI's {@code --socket}: the head as a uwsgi
 * packet ({@link UwsgiRequestEncoder}), the body raw after it, the response as plain HTTP/1.x ended by the backend
 * closing, so a connection carries one request. A request whose variables the backend would drop is answered 431.
 */
public final class UwsgiProtocol implements BackendProtocol {

  private final UwsgiRequestEncoder encoder;
  private final int bufferSize;
  private final int maxVars;

  /**
   * @param bufferSize the backend's {@code --buffer-size}
   * @param maxVars    the backend's {@code --max-vars}
   */
  public UwsgiProtocol(int bufferSize, int maxVars) {
    this.encoder = new UwsgiRequestEncoder(bufferSize, maxVars);
    this.bufferSize = bufferSize;
    this.maxVars = maxVars;
  }

  @Override
  public Buffer encodeHead(RequestHead head) throws RequestRefusedException {
    try {
      return encoder.encode(head);
    } catch (VarsTooLargeException e) {
      throw new RequestRefusedException(431, e.getMessage());
    }
  }

  @Override
  public boolean encodesLike(BackendProtocol other) {
    return other instanceof UwsgiProtocol u && u.bufferSize == bufferSize && u.maxVars == maxVars;
  }

  /** uWSGI answers HTTP/1.1 without {@code Connection: close} and then closes: one request per connection. */
  @Override
  public boolean reusesConnections() {
    return false;
  }

  @Override
  public String toString() {
    return "uwsgi (bufferSize " + bufferSize + ", maxVars " + maxVars + ")";
  }
}
