package io.sluice.kernel;

import io.sluice.kernel.SockDiag.TcpListener;
import io.sluice.kernel.SockDiag.UnixListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@link KernelQueues} over one lazily opened {@link SockDiagSocket}. */
final class SockDiagQueues implements KernelQueues {

  private SockDiagSocket socket; // guarded by this; null until needed and after a failure
  private boolean closed; // guarded by this

  @Override
  public synchronized Map<SocketAddress, KernelQueue> read(Collection<? extends SocketAddress> targets) {
    if (closed) {
      throw new IllegalStateException("closed");
    }
    Map<SocketAddress, KernelQueue> out = new LinkedHashMap<>();
    List<UnixDomainSocketAddress> unix = new ArrayList<>();
    List<InetSocketAddress> tcp = new ArrayList<>();
    for (SocketAddress target : targets) {
      out.put(target, null); // keeps the callers' order
      if (target instanceof UnixDomainSocketAddress u) {
        unix.add(u);
      } else if (target instanceof InetSocketAddress i && !i.isUnresolved()) {
        tcp.add(i);
      } else if (target instanceof InetSocketAddress i) {
        out.put(target, new KernelQueue.Unknown("unresolved address: " + i));
      } else {
        out.put(target, new KernelQueue.Unknown("not a TCP or Unix socket address: " + target));
      }
    }
    if (!unix.isEmpty()) {
      readUnix(unix, out);
    }
    if (!tcp.isEmpty()) {
      readTcp(tcp, out);
    }
    return Collections.unmodifiableMap(out);
  }

  private void readUnix(List<UnixDomainSocketAddress> targets, Map<SocketAddress, KernelQueue> out) {
    List<UnixListener> listeners;
    try {
      listeners = SockDiag.unixListeners(socket());
    } catch (IOException e) {
      dropBrokenSocket();
      targets.forEach(t -> out.put(t, new KernelQueue.Unknown("sock_diag (unix): " + e.getMessage())));
      return;
    }
    for (UnixDomainSocketAddress target : targets) {
      Path path = target.getPath();
      KernelQueue reading;
      try {
        Optional<UnixListener> l = Match.unix(path, listeners);
        reading = l.<KernelQueue>map(x -> new KernelQueue.Known(x.inode(), x.depth(), x.max()))
            .orElseGet(() -> new KernelQueue.Unknown(
                "no listening socket at " + path + " in this network namespace"));
      } catch (NoSuchFileException e) {
        reading = new KernelQueue.Unknown("no such file: " + path);
      } catch (IOException e) {
        reading = new KernelQueue.Unknown(e.getMessage());
      }
      out.put(target, reading);
    }
  }

  private void readTcp(List<InetSocketAddress> targets, Map<SocketAddress, KernelQueue> out) {
    List<TcpListener> listeners = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (int family : new int[] {Native.AF_INET, Native.AF_INET6}) {
      try {
        listeners.addAll(SockDiag.tcpListeners(socket(), family));
      } catch (IOException e) {
        // A kernel without IPv6 refuses the AF_INET6 dump; IPv4 listeners are still worth reporting.
        dropBrokenSocket();
        failures.add(e.getMessage());
      }
    }
    for (InetSocketAddress target : targets) {
      List<TcpListener> found = Match.tcp(target, listeners);
      KernelQueue reading;
      if (!found.isEmpty()) {
        int depth = 0;
        int max = 0;
        for (TcpListener l : found) {
          depth += l.depth();
          max += l.max();
        }
        reading = new KernelQueue.Known(found.get(0).inode(), depth, max);
      } else if (failures.size() == 2) {
        reading = new KernelQueue.Unknown("sock_diag (tcp): " + failures.get(0));
      } else {
        reading = new KernelQueue.Unknown(
            "no listening TCP socket for " + target + " in this network namespace");
      }
      out.put(target, reading);
    }
  }

  private SockDiagSocket socket() throws IOException {
    if (socket == null) {
      socket = SockDiagSocket.open();
    }
    return socket;
  }

  /** After a failure midway the socket may hold part of an abandoned reply: start afresh next time. */
  private void dropBrokenSocket() {
    if (socket != null && socket.broken()) {
      dropSocket();
    }
  }

  private void dropSocket() {
    if (socket != null) {
      socket.close();
      socket = null;
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    dropSocket();
  }
}
