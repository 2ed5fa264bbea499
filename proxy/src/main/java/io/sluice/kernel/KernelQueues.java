package io.sluice.kernel;

import java.io.Closeable;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Reads the accept-queue depth and maximum of listening sockets (Sluice's own listeners and its
 * backends') from the kernel through NETLINK_SOCK_DIAG, which needs no privilege.
 *
 * <p>Targets are {@link UnixDomainSocketAddress} (a socket file; abstract names are not supported)
 * and resolved {@link InetSocketAddress} (TCP, IPv4 or IPv6). Only sockets of this process's network
 * namespace are visible; anything else reads as {@link KernelQueue.Unknown}, never as an exception.
 *
 * <p>Blocking: each call makes a few system calls (one sock_diag dump per address family asked
 * about, with a 2 s receive timeout) and reads file attributes, so run it on a worker thread, never
 * on an event loop. Thread-safe: calls are serialised on the one netlink socket this object keeps
 * open between calls. Close it to release that socket.
 */
public interface KernelQueues extends Closeable {

  /** A sampler; opens its netlink socket on first use, so this never fails. */
  static KernelQueues open() {
    return new SockDiagQueues();
  }

  /**
   * Reads every target with one dump per address family, so sampling all listeners and backends
   * costs the same few system calls as sampling one.
   *
   * @return a reading for each distinct target, in the targets' order
   * @throws IllegalStateException after {@link #close()}
   */
  Map<SocketAddress, KernelQueue> read(Collection<? extends SocketAddress> targets);

  /** Reads one target; see {@link #read(Collection)}. */
  default KernelQueue read(SocketAddress target) {
    return read(List.of(target)).get(target);
  }

  /** Closes the netlink socket; idempotent. */
  @Override
  void close();
}
