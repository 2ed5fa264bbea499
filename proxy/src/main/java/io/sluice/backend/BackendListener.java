package io.sluice.backend;

import io.vertx.core.buffer.Buffer;

/**
 * What happens to one request sent to a backend. Every callback runs on the event loop that started the
 * {@link BackendCall}. The call ends with exactly one of {@link #connectFailed}, {@link #end} or {@link #failed},
 * unless it was aborted.
 */
public interface BackendListener {

  /** The backend never received the request: it refused the connection or its queue was full. */
  void connectFailed(boolean busy, Throwable cause);

  /** A connection is ready and the request is being sent. */
  void connected();

  /** The response's status line and headers. */
  void head(ResponseHead head);

  /** A piece of the response body, framing removed. */
  void body(Buffer data);

  /**
   * Everything one read from the backend brought has been delivered: a moment to flush what was held back to write
   * in one go.
   */
  default void readComplete() {
  }

  /** The response is complete; the backend has finished with this request. */
  void end();

  /** The backend failed after it may have received the request. */
  void failed(BackendException failure);
}
