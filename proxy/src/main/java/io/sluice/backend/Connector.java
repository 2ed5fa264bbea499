package io.sluice.backend;

import io.vertx.core.Future;
import java.util.function.IntSupplier;

/**
 * Where the calls to one backend get their connections: idle ones kept per event loop, or new ones. A call asks on
 * its own event loop and gets answers there; a backend's connections never move between loops. {@link SocketConnector}
 * is the Vert.x one; tests script their own.
 *
 * <p>There is no pool wait queue: the dispatcher already bounds how many requests are inside the backend, so a call
 * with a permit always gets a connection at once, reused or new. What the connector bounds is the connections it keeps
 * open, in use and idle together, to the backend's limit ({@link #limitBy}).
 */
public interface Connector {

  /**
   * The backend's limit, read from any thread: the connections open to the backend, in use and idle on every event
   * loop, are kept at or below it. Set once, by the backend's {@link Upstream}, before any call.
   */
  void limitBy(IntSupplier limit);

  /** An idle connection of this event loop that is still fit for reuse, or {@code null}. */
  BackendConnection idle();

  /** Opens a new connection; completes on this event loop. */
  Future<BackendConnection> connect();

  /**
   * Keeps a {@link BackendConnection#reusable()} connection for the next call on this event loop, or closes it when
   * the backend already has as many connections open as its limit.
   */
  void recycle(BackendConnection connection);

  /** The backend's limit dropped: closes idle connections, on their own loops, while more are open. Any thread. */
  void trim();

  /**
   * The kernel shows {@code depth} connections waiting in the backend's accept queue: closes as many of the backend's
   * connections, idle ones at once and then those whose call ends, until the next reading, and as many again of those
   * that would only go idle; a backend that counts connections accepts no more while it holds as many as it takes.
   * Any thread.
   *
   * @return whether the backend keeps connections alive: since the last reading, more calls handed their connection
   *     back for reuse than new connections were opened (with neither, what the reading before said)
   */
  boolean acceptQueue(int depth);

  /** The calls to this backend on this event loop that wait for their response, swept for timeouts. */
  CallTimeouts timeouts();

  /**
   * Whether the backend accepts connections now: connects and closes. A backend whose queue is full is busy, not
   * gone, so that counts as reachable. Call on an event loop.
   */
  Future<Boolean> probe();

  /** Connections open to the backend now: connecting, carrying a request, or idle. Any thread. */
  int openConnections();

  /** Idle connections kept now, on every event loop. Any thread. */
  int idleConnections();

  /** Closes the idle connections. */
  Future<Void> close();
}
