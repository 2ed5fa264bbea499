package io.sluice.kernel;

import io.sluice.kernel.SockDiag.TcpListener;
import io.sluice.kernel.SockDiag.UnixListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** {@link Listeners} through sock_diag, /proc and libc's listen(2). */
final class SystemListeners implements Listeners {

  static final SystemListeners INSTANCE = new SystemListeners();

  private SystemListeners() {}

  @Override
  public int somaxconn() throws IOException {
    return (int) ProcFs.readLong(ProcFs.SOMAXCONN);
  }

  @Override
  public ListenerSocket findTcp(InetSocketAddress bound) throws IOException {
    if (bound.isUnresolved()) {
      throw new IOException("unresolved address: " + bound);
    }
    List<TcpListener> all = new ArrayList<>();
    IOException failure = null;
    try (SockDiagSocket socket = SockDiagSocket.open()) {
      for (int family : new int[] {Native.AF_INET, Native.AF_INET6}) {
        try {
          all.addAll(SockDiag.tcpListeners(socket, family));
        } catch (IOException e) {
          failure = e; // no IPv6 in this kernel: the IPv4 dump may still have it
        }
      }
    }
    Map<Long, Integer> fds = ProcFs.socketFds();
    List<TcpListener> own = all.stream().filter(l -> fds.containsKey(l.inode())).toList();
    List<TcpListener> found = Match.tcp(bound, own);
    if (found.isEmpty()) {
      IOException e = new IOException("this process has no TCP socket listening on " + bound);
      if (failure != null) {
        e.addSuppressed(failure);
      }
      throw e;
    }
    if (found.size() > 1) {
      throw new IOException("several TCP sockets of this process listen on " + bound + " (SO_REUSEPORT): inodes "
          + found.stream().map(l -> Long.toString(l.inode())).collect(Collectors.joining(", ")));
    }
    long inode = found.get(0).inode();
    return new ListenerSocket(inode, fds.get(inode));
  }

  @Override
  public ListenerSocket findUnix(Path path) throws IOException {
    List<UnixListener> all;
    try (SockDiagSocket socket = SockDiagSocket.open()) {
      all = SockDiag.unixListeners(socket);
    }
    Map<Long, Integer> fds = ProcFs.socketFds();
    Optional<UnixListener> found;
    try {
      found = Match.unix(path, all);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(path.toString(), null, "no socket file to listen on");
    }
    if (found.isEmpty()) {
      throw new IOException("no socket listens on " + path + " in this network namespace");
    }
    Integer fd = fds.get(found.get().inode());
    if (fd == null) {
      throw new IOException("the socket listening on " + path + " belongs to another process");
    }
    return new ListenerSocket(found.get().inode(), fd);
  }

  @Override
  public void relisten(ListenerSocket socket, int backlog) throws IOException {
    if (backlog < 0) {
      throw new IllegalArgumentException("backlog: " + backlog + " (expected: >= 0)");
    }
    if (ProcFs.socketInode(socket.fd()) != socket.inode()) {
      throw new IOException("fd " + socket.fd() + " no longer holds socket inode " + socket.inode()
          + " (closed since it was found?)");
    }
    Native.LibC libc = Native.libc();
    if (libc.listen(socket.fd(), backlog) < 0) {
      throw Native.failure("listen(fd " + socket.fd() + ", " + backlog + ")", Native.errno());
    }
  }
}
