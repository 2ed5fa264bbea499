package io.sluice.kernel;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * The kernel listen backlog: its ceiling, and changing it on a socket that is already listening,
 * without closing it or losing a queued connection.
 *
 * <p>Linux accepts listen(2) again on a listening TCP or Unix stream socket and only updates its
 * maximum (net/ipv4/af_inet.c {@code __inet_listen_sk}, net/unix/af_unix.c {@code unix_listen});
 * queued connections stay, even above a smaller new maximum. Servers such as Vert.x do not expose
 * their server socket, so {@code find*} locates it: sock_diag gives the inode of the socket listening
 * on the address, and {@code /proc/self/fd} the descriptor linked to {@code socket:[inode]}.
 *
 * <p>Every method blocks on system calls and /proc reads (milliseconds): call them at start-up or
 * on a worker thread, never on an event loop. Thread-safe; holds no state.
 */
public interface Listeners {

  /** The implementation for this process. */
  static Listeners system() {
    return SystemListeners.INSTANCE;
  }

  /**
   * {@code net.core.somaxconn} of this network namespace, read now: listen(2) silently caps any
   * backlog at it (net/socket.c, {@code __sys_listen_socket}).
   */
  int somaxconn() throws IOException;

  /**
   * This process's listening TCP socket bound to {@code bound}: the exact address, else a wildcard
   * one ({@code 0.0.0.0}, {@code ::}) serving it. IPv4 addresses also match AF_INET6 sockets bound to
   * their IPv4-mapped form, as the JDK and Netty's epoll transport create.
   *
   * @throws IOException when this process has no such socket, or several (SO_REUSEPORT), or
   *     sock_diag is refused
   */
  ListenerSocket findTcp(InetSocketAddress bound) throws IOException;

  /**
   * This process's listening Unix socket bound to the socket file at {@code path}.
   *
   * @throws IOException when there is no such file, or this process does not listen on it, or
   *     sock_diag is refused
   */
  ListenerSocket findUnix(Path path) throws IOException;

  /**
   * Calls listen(2) again on {@code socket} to change its backlog. The kernel caps {@code backlog} at
   * net.core.somaxconn without saying so; callers that must not truncate silently compare with
   * {@link #somaxconn()} first. Checks first that the descriptor still holds the same socket, so a
   * socket closed since it was found (and its number reused) is not touched.
   *
   * @throws IllegalArgumentException when backlog is negative
   * @throws IOException with the errno's text when the descriptor no longer holds that socket or
   *     listen(2) fails
   */
  void relisten(ListenerSocket socket, int backlog) throws IOException;
}
