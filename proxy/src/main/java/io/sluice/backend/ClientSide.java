package io.sluice.backend;

import io.sluice.queue.Rejection;
import io.vertx.core.buffer.Buffer;

/**
 * The client's side of a {@link BackendCall}: where the call's outcome and the backend's response go. Every method
 * is called on the call's event loop. Exactly one of {@link #refused}, {@link #rejected}, {@link #end},
 * {@link #failed} and {@link #cancelled} ends the call; when it comes, the call holds no permit, no connection and no
 * reference to the request body any more.
 */
public interface ClientSide {

  /**
   * No backend could take the request as it is; it never waited.
   *
   * @param close whether the client's connection should be closed after the answer (the request was malformed)
   */
  void refused(int status, String message, boolean close);

  /** The queue answered instead of a backend (full, timed out, shutting down). */
  void rejected(Rejection why, int retryAfterSeconds);

  /** The response's status line and headers. */
  void head(ResponseHead head);

  /** A piece of the response body, framing removed. */
  void body(Buffer data);

  /** Everything one read from the backend brought has been delivered: a moment to flush what was held back. */
  void readComplete();

  /** The response is complete; the backend's slot is already free. */
  void end();

  /** The backend failed after it received, or may have received, the request; its slot is free. */
  void failed(BackendException failure);

  /** After {@link BackendCall#cancel}: the call has let go of everything. */
  void cancelled();
}
