package io.sluice.kernel;

import io.sluice.kernel.SockDiag.TcpListener;
import io.sluice.kernel.SockDiag.UnixListener;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Which listening socket a connection to an address would reach. */
final class Match {

  // include/uapi/linux/stat.h
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  private Match() {}

  /**
   * The listener bound to the socket file at {@code path}.
   *
   * <p>Matched by the file's inode and device rather than by name: the name a listener reports is
   * whatever it passed to bind(2), possibly relative to its own working directory, while the file
   * is what connect(2) reaches. When the file cannot be examined (a directory we may not search),
   * falls back to the absolute path as name.
   *
   * @throws java.nio.file.NoSuchFileException when there is no such file: nothing can connect to it
   * @throws IOException when the file is not a socket, or cannot be examined
   */
  static Optional<UnixListener> unix(Path path, List<UnixListener> listeners) throws IOException {
    Path absolute = path.toAbsolutePath().normalize();
    Map<String, Object> attributes;
    try {
      attributes = Files.readAttributes(absolute, "unix:mode,ino,dev");
    } catch (AccessDeniedException | UnsupportedOperationException e) {
      String name = absolute.toString();
      return listeners.stream().filter(l -> name.equals(l.name())).findFirst();
    }
    if (((Integer) attributes.get("mode") & S_IFMT) != S_IFSOCK) {
      throw new IOException("not a socket: " + absolute);
    }
    // unix_diag reports i_ino truncated to its u32 field (net/unix/diag.c, sk_diag_dump_vfs).
    long ino = (Long) attributes.get("ino") & 0xffffffffL;
    long dev = (Long) attributes.get("dev");
    return listeners.stream().filter(l -> l.vfsIno() == ino && userDev(l.vfsDev()) == dev).findFirst();
  }

  /**
   * A kernel-internal dev_t (MAJOR << 20 | MINOR, include/linux/kdev_t.h) in the encoding stat(2)
   * gives user space (new_encode_dev in the same header).
   */
  static long userDev(long kernelDev) {
    long major = kernelDev >>> 20;
    long minor = kernelDev & 0xfffff;
    return (minor & 0xff) | (major << 8) | ((minor & ~0xffL) << 12);
  }

  /**
   * The listeners that would take a connection to {@code target}: those bound to exactly its address,
   * else wildcard listeners of its family when the address is local (a remote host's port may
   * coincide with a local one). Several only with SO_REUSEPORT. Empty when none.
   *
   * <p>Addresses compare across families as the kernel does: an AF_INET6 socket bound to
   * {@code ::ffff:a.b.c.d} serves IPv4 {@code a.b.c.d}, and one bound to {@code ::} serves IPv4 too
   * unless it is IPV6_V6ONLY.
   */
  static List<TcpListener> tcp(InetSocketAddress target, List<TcpListener> listeners) {
    InetAddress address = target.getAddress();
    int best = 0;
    List<TcpListener> out = new ArrayList<>();
    Boolean local = null;
    for (TcpListener l : listeners) {
      if (l.port() != target.getPort()) {
        continue;
      }
      int rank;
      if (Arrays.equals(l.address().getAddress(), address.getAddress())) {
        rank = 3;
      } else if (!covers(l, address)) {
        continue;
      } else if (address.isAnyLocalAddress()) {
        rank = 2; // 0.0.0.0 asked, a dual-stack :: listener found
      } else {
        if (local == null) {
          local = isLocal(address);
        }
        if (!local) {
          continue;
        }
        rank = 1;
      }
      if (rank > best) {
        best = rank;
        out.clear();
      }
      if (rank == best) {
        out.add(l);
      }
    }
    return out;
  }

  /** Whether wildcard listener {@code l} accepts connections to {@code address}. */
  private static boolean covers(TcpListener l, InetAddress address) {
    if (!l.address().isAnyLocalAddress()) {
      return false;
    }
    boolean listener4 = l.address() instanceof Inet4Address;
    boolean target4 = address instanceof Inet4Address;
    return listener4 ? target4 : !target4 || !l.v6Only();
  }

  /** Whether this network namespace owns {@code address}, so that a connect to it stays here. */
  private static boolean isLocal(InetAddress address) {
    if (address.isLoopbackAddress()) {
      return true;
    }
    try {
      return NetworkInterface.getByInetAddress(address) != null;
    } catch (SocketException e) {
      return false;
    }
  }
}
