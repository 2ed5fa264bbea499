package io.sluice.kernel;

import java.util.Objects;

/**
 * What the kernel says about one listening socket's accept queue: {@link Known} or {@link Unknown}.
 */
public sealed interface KernelQueue permits KernelQueue.Known, KernelQueue.Unknown {

  /**
   * The accept queue of a listening socket.
   *
   * @param inode the socket's inode ({@code socket:[inode]} in /proc); with SO_REUSEPORT, one of the
   *     group's
   * @param depth connections waiting to be accepted. A queue holds {@code max + 1} before it is full:
   *     the kernel's checks use {@code >} (net/unix/af_unix.c unix_recvq_full, include/net/sock.h
   *     sk_acceptq_is_full)
   * @param max the backlog currently in force, already capped at net.core.somaxconn; summed over a
   *     SO_REUSEPORT group, like {@code depth}
   */
  record Known(long inode, int depth, int max) implements KernelQueue {}

  /**
   * The kernel will not say: no listener at that address in this network namespace (a remote TCP
   * backend, a backend that is down), or sock_diag is refused here.
   *
   * @param reason one line for an operator, e.g. {@code "no listening socket at /run/app.sock in
   *     this network namespace"}
   */
  record Unknown(String reason) implements KernelQueue {
    public Unknown {
      Objects.requireNonNull(reason, "reason");
    }
  }
}
