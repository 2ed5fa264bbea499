package io.sluice.backend;

import io.sluice.buffer.BodyBuffer;
import io.vertx.core.buffer.Buffer;

/**
 * One connection to a backend, carrying one {@link BackendCall} at a time: the seam between a call and the network.
 * {@link SocketConnection} is the Vert.x one; tests script their own. Confined to its event loop.
 */
public interface BackendConnection {

  /** What a connection tells the call it carries; called on its event loop. */
  interface Listener extends ResponseDecoder.Listener {

    /** Everything one read from the backend brought has been delivered: a moment to flush what was held back. */
    void onReadComplete();

    /** The backend sent something its protocol does not allow; the connection is useless. */
    void onMalformed(MalformedResponseException e);

    /** The connection ended before the response did ({@code cause} is {@code null} for a clean close). */
    void onClosed(Throwable cause);
  }

  /** Readies the connection for one request: the response to {@code method} goes to {@code listener}. */
  void attach(Listener listener, String method);

  /** Nothing more goes to the listener last attached: its response ended, or it gave up. */
  void detach();

  /** Writes the request: its encoded head, then its body ({@code null} when there is none). */
  void send(Buffer head, BodyBuffer body);

  /** Stops reading the response (the client cannot keep up), until {@link #resume}. */
  void pause();

  void resume();

  void close();

  /** Whether it carried a request before the current one: such a connection may have been closed by the backend. */
  boolean reused();

  /** Whether any byte of the current response arrived. */
  boolean sawResponseBytes();

  /**
   * Whether it may carry another request now: the request was written whole, the response ended cleanly, the
   * protocol reuses connections, and the backend has not closed it.
   */
  boolean reusable();
}
