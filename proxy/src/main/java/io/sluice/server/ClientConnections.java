package io.sluice.server;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * The client connections of one event loop, and the timeouts Vert.x's own idle timer cannot give (it would also cut
 * a connection whose request waits in Sluice's queue): a connection with no request under way — idle between
 * requests, or still sending a request head — is closed after the idle timeout; a request whose body stops
 * arriving gets 408 after the body timeout. Checked once a second (or at a quarter of the shorter timeout).
 *
 * <p>Confined to its event loop: one instance per loop, touched only there.
 */
final class ClientConnections {

  /** One client connection's activity. */
  static final class Connection {
    private final HttpConnection connection;
    private int active;
    private long idleSince;
    private Exchange reading;

    Connection(HttpConnection connection, long now) {
      this.connection = connection;
      this.idleSince = now;
    }
  }

  private final IdentityHashMap<HttpConnection, Connection> open = new IdentityHashMap<>();
  private final Vertx vertx;
  private final long idleNanos;
  private final long bodyNanos;
  private boolean sweeping;

  ClientConnections(Vertx vertx, long idleNanos, long bodyNanos) {
    this.vertx = vertx;
    this.idleNanos = idleNanos;
    this.bodyNanos = bodyNanos;
  }

  void opened(HttpConnection c) {
    open.put(c, new Connection(c, System.nanoTime()));
    c.closeHandler(v -> open.remove(c));
    if (!sweeping) {
      sweeping = true;
      long every = Math.max(100, Math.min(1000, Math.min(idleNanos, bodyNanos) / 4_000_000));
      vertx.setPeriodic(every, id -> sweep());
    }
  }

  /** A request started on this connection; {@code null} if the connection is not tracked (already closed). */
  Connection requestStarted(HttpConnection c) {
    Connection conn = open.get(c);
    if (conn != null) {
      conn.active++;
    }
    return conn;
  }

  static void readingBody(Connection conn, Exchange exchange) {
    if (conn != null) {
      conn.reading = exchange;
    }
  }

  static void requestEnded(Connection conn) {
    if (conn != null && conn.active > 0) {
      conn.active--;
      conn.reading = null;
      conn.idleSince = System.nanoTime();
    }
  }

  int size() {
    return open.size();
  }

  private void sweep() {
    long now = System.nanoTime();
    List<HttpConnection> idle = null;
    List<Exchange> stalled = null;
    for (Connection conn : open.values()) {
      if (conn.active == 0) {
        if (now - conn.idleSince >= idleNanos) {
          idle = add(idle, conn.connection);
        }
      } else if (conn.reading != null && conn.reading.bodyIdleFor(now) >= bodyNanos) {
        stalled = add(stalled, conn.reading);
        conn.reading = null;
      }
    }
    if (idle != null) {
      idle.forEach(HttpConnection::close);
    }
    if (stalled != null) {
      stalled.forEach(Exchange::bodyTimedOut);
    }
  }

  private static <T> List<T> add(List<T> list, T item) {
    List<T> l = list == null ? new ArrayList<>() : list;
    l.add(item);
    return l;
  }
}
