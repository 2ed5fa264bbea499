package io.sluice.net;

import io.sluice.config.Address;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A configured {@link Address} in the forms the libraries take, and the socket files behind Unix addresses. The one
 * place that knows what an empty host means: every interface when binding, this machine when connecting.
 *
 * <p>Stateless. {@link #prepareUnixPath} and {@link #kernelAddress} block (file system, name resolution): call them
 * at start-up, off any event loop; the others are pure.
 */
public final class Sockets {

  private Sockets() {
  }

  /** Where to listen: a TCP address with an empty host binds every interface ({@code 0.0.0.0}). */
  public static SocketAddress bindAddress(Address a) {
    if (a instanceof Address.Tcp t) {
      return SocketAddress.inetSocketAddress(t.port(), t.bindHost());
    }
    return unix((Address.Unix) a);
  }

  /** Where to connect: a listener's wildcard host ({@code 0.0.0.0}, {@code ::} or empty) is reached on loopback. */
  public static SocketAddress connectAddress(Address a) {
    if (a instanceof Address.Tcp t) {
      return SocketAddress.inetSocketAddress(t.port(), connectHost(t));
    }
    return unix((Address.Unix) a);
  }

  /** The host to connect to for a TCP address, as {@link #connectAddress} uses it. */
  public static String connectHost(Address.Tcp t) {
    String host = t.host();
    if (host.isEmpty() || host.equals("0.0.0.0")) {
      return "127.0.0.1";
    }
    return host.equals("::") ? "::1" : host;
  }

  /** The address as the kernel reports a listening socket bound there (sock_diag, {@code listen(2)} again). */
  public static java.net.SocketAddress kernelAddress(Address a) {
    if (a instanceof Address.Tcp t) {
      return new InetSocketAddress(t.bindHost(), t.port());
    }
    return UnixDomainSocketAddress.of(((Address.Unix) a).path().toAbsolutePath());
  }

  /**
   * Readies the socket file of a Unix listener: removes a stale one nobody listens on, refuses a live one or a file
   * that is not a socket. Blocking.
   *
   * @throws IOException naming the path and the problem
   */
  public static void prepareUnixPath(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attrs.isOther()) {
      throw new IOException(path + " exists and is not a socket");
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(path));
      throw new IOException("unix:" + path + " is in use by another process");
    } catch (ConnectException stale) {
      Files.delete(path);
    }
  }

  private static SocketAddress unix(Address.Unix u) {
    return SocketAddress.domainSocketAddress(u.path().toAbsolutePath().toString());
  }
}
