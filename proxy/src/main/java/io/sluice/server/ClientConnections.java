package io.sluice.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The client connections of one event loop, and the timeouts Vert.x's own idle timer cannot give (it would also cut
 * a connection whose request waits in Sluice's queue), checked by one periodic sweep instead of a timer per request:
 * <ul>
 *   <li>a connection with no request under way — idle between requests, or still sending a request head — is closed
 *       after the idle timeout;</li>
 *   <li>a request whose body stops arriving for the body timeout gets 408, and so does one whose body, once it has
 *       taken the body timeout, has come at less than the minimum rate on average since it began;</li>
 *   <li>a client that takes no byte of its response for the send timeout, while bytes wait for it, is closed (nginx's
 *       {@code send_timeout}: the time between two writes that went through, not the whole response);</li>
 *   <li>so is one that takes no byte for the held-slot timeout while its response holds a backend slot that queued
 *       requests wait for: its spool is out of room, so the backend is read only as fast as the client takes, and a
 *       client that reads nothing would otherwise keep the slot, and the backend's worker, for the whole send
 *       timeout.</li>
 * </ul>
 * The sweep runs once a second, or at a quarter of the shortest timeout, so a timeout fires at most that much late.
 * A stalled send is seen at sweep times: its clock starts at the last sweep that saw the client take bytes.
 *
 * <p>Confined to its event loop: one instance per loop, touched only there.
 */
final class ClientConnections {

  static final int LINGER_SECONDS = 2;

  /** Starts a periodic task on the event loop: Vert.x's {@code setPeriodic} in production. */
  @FunctionalInterface
  interface Periodic {
    void every(long millis, Runnable task);
  }

  /** One client connection's activity. */
  static final class Connection {
    private final ClientConnections owner;
    private final HttpConnection connection;
    private int active;
    private long idleSince;
    private BodyIntake reading;
    private Exchange sending;

    Connection(ClientConnections owner, HttpConnection connection, long now) {
      this.owner = owner;
      this.connection = connection;
      this.idleSince = now;
    }
  }

  private final IdentityHashMap<HttpConnection, Connection> open = new IdentityHashMap<>();
  private final Periodic periodic;
  private final LongSupplier clock;
  private final long idleNanos;
  private final long bodyNanos;
  private final long bodyMinRate;
  private final long sendNanos;
  private final long heldSlotNanos;
  private boolean sweeping;

  /**
   * @param clock    monotonic nanoseconds ({@code System::nanoTime} in production)
   * @param settings the client timeouts and the minimum body rate (0 for none)
   */
  ClientConnections(Periodic periodic, LongSupplier clock, Proxy.Settings settings) {
    this.periodic = periodic;
    this.clock = clock;
    this.idleNanos = settings.clientIdleTimeout().toNanos();
    this.bodyNanos = settings.clientBodyTimeout().toNanos();
    this.bodyMinRate = settings.bodyMinRate();
    this.sendNanos = settings.clientSendTimeout().toNanos();
    this.heldSlotNanos = Math.min(sendNanos, settings.heldSlotTimeout().toNanos());
  }

  void opened(HttpConnection c) {
    open.put(c, new Connection(this, c, clock.getAsLong()));
    c.closeHandler(v -> open.remove(c));
    if (!sweeping) {
      sweeping = true;
      long shortest = Math.min(Math.min(idleNanos, bodyNanos), heldSlotNanos);
      periodic.every(Math.max(100, Math.min(1000, shortest / 4_000_000)), this::sweep);
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

  static void readingBody(Connection conn, BodyIntake intake) {
    if (conn != null) {
      conn.reading = intake;
    }
  }

  /** The exchange writes to the client through a spool from now on: the send timeout watches it. */
  static void sending(Connection conn, Exchange exchange) {
    if (conn != null) {
      conn.sending = exchange;
    }
  }

  static void requestEnded(Connection conn) {
    if (conn != null && conn.active > 0) {
      conn.active--;
      conn.reading = null;
      conn.sending = null;
      conn.idleSince = conn.owner.clock.getAsLong();
    }
  }

  int size() {
    return open.size();
  }

  void sweep() {
    long now = clock.getAsLong();
    List<HttpConnection> idle = null;
    List<Exchange> stalled = null;
    List<Exchange> slow = null;
    List<Exchange> unread = null;
    for (Connection conn : open.values()) {
      if (conn.active == 0) {
        if (now - conn.idleSince >= idleNanos) {
          idle = add(idle, conn.connection);
        }
        continue;
      }
      BodyIntake r = conn.reading;
      if (r != null) {
        if (r.idleFor(now) >= bodyNanos) {
          stalled = add(stalled, r.exchange());
          conn.reading = null;
        } else if (tooSlow(r.received(), r.elapsed(now))) {
          slow = add(slow, r.exchange());
          conn.reading = null;
        }
      }
      Exchange s = conn.sending;
      if (s != null) {
        long unreadFor = s.sendStalledFor(now);
        if (unreadFor >= sendNanos || unreadFor >= heldSlotNanos && s.holdsSlotOthersWaitFor()) {
          unread = add(unread, s);
          conn.sending = null;
        }
      }
    }
    if (idle != null) {
      idle.forEach(ClientConnections::abort);
    }
    if (stalled != null) {
      stalled.forEach(Exchange::bodyTimedOut);
    }
    if (slow != null) {
      slow.forEach(Exchange::bodyTooSlow);
    }
    if (unread != null) {
      unread.forEach(Exchange::sendTimedOut);
    }
  }

  /**
   * Closes a client connection at once, dropping what it has not taken. Vert.x's own close first waits for everything
   * written to be flushed, which a client that reads nothing never allows: its connection would stay open for good.
   * Vert.x 5 has no public way to close one connection forcibly, so this closes its Netty channel from the head of the
   * pipeline, past Vert.x's handler that would wait (its close handlers run as for any close); a connection of another
   * kind is closed the ordinary way.
   */
  static void abort(HttpConnection c) {
    ChannelHandlerContext first = c instanceof ConnectionBase base ? base.channel().pipeline().firstContext() : null;
    if (first != null) {
      first.close();
    } else {
      c.close();
    }
  }

  /**
   * Closes a connection after an answer Sluice gave before the request was all read (a 408, 413 or 400 mid-body):
   * the answer goes out and the write side is shut (FIN), but the client's remaining bytes are read and dropped for
   * up to {@value #LINGER_SECONDS} s before the close, as nginx's lingering close does. Closing at once with unread
   * bytes would send a reset, which can destroy the answer in the client's buffer before the client reads it.
   */
  static void closeLingering(HttpConnection c) {
    Channel channel = c instanceof ConnectionBase base ? base.channel() : null;
    if (!(channel instanceof DuplexChannel duplex) || !channel.isActive()) {
      c.close();
      return;
    }
    duplex.shutdownOutput().addListener(done -> {
      if (!done.isSuccess()) {
        channel.close();
        return;
      }
      channel.eventLoop().schedule(() -> {
        channel.close();
      }, LINGER_SECONDS, TimeUnit.SECONDS);
    });
  }

  /** Whether a body that has taken {@code elapsed} nanoseconds with {@code received} bytes is under the minimum rate. */
  private boolean tooSlow(long received, long elapsed) {
    return bodyMinRate > 0 && elapsed >= bodyNanos && received < bodyMinRate * (elapsed / 1e9);
  }

  private static <T> List<T> add(List<T> list, T item) {
    List<T> l = list == null ? new ArrayList<>() : list;
    l.add(item);
    return l;
  }
}
