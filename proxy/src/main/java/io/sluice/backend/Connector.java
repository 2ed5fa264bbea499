package io.sluice.backend;

import io.vertx.core.Future;

/**
 * Where the calls to one backend get their connections: idle ones kept per event loop, or new ones. A call asks on
 * its own event loop and gets answers there; a backend's connections never move between loops. {@link SocketConnector}
 * is the Vert.x one; tests script their own.
 *
 * <p>There is no pool bound and no pool wait queue: the dispatcher already bounds how many requests are inside the
 * backend, so a call with a permit always gets a connection at once, reused or new.
 */
public interface Connector {

  /** An idle connection of this event loop that is still fit for reuse, or {@code null}. */
  BackendConnection idle();

  /** Opens a new connection; completes on this event loop. */
  Future<BackendConnection> connect();

  /** Keeps a {@link BackendConnection#reusable()} connection for the next call on this event loop. */
  void recycle(BackendConnection connection);

  /** The calls to this backend on this event loop that wait for their response, swept for timeouts. */
  CallTimeouts timeouts();

  /**
   * Whether the backend accepts connections now: connects and closes. A backend whose queue is full is busy, not
   * gone, so that counts as reachable. Call on an event loop.
   */
  Future<Boolean> probe();

  /** Closes the idle connections. */
  Future<Void> close();
}
