package io.sluice.demo;

import io.netty.channel.ConnectTimeoutException;
import io.sluice.demo.SpikeResult.Failure;
import java.io.FileNotFoundException;
import java.nio.file.NoSuchFileException;

/**
 * Classifies a failed connect. The only place that reads connect errors, because their shape depends on the
 * transport (checked with Netty 4.2.18): epoll gives a {@code ConnectException} reading
 * {@code connect(..) failed with error(-11): Resource temporarily unavailable}, NIO a {@code SocketException}
 * reading {@code Resource temporarily unavailable}; epoll reports a missing socket file as a
 * {@code FileNotFoundException} without a message, and NIO's EMFILE hides under an
 * {@code InvocationTargetException}. So the whole cause chain is searched, by errno and by strerror text.
 */
final class ConnectErrors {

  private ConnectErrors() {
  }

  static Failure classify(Throwable error) {
    int depth = 0;
    for (Throwable t = error; t != null && depth < 16; t = t.getCause(), depth++) {
      Failure f = classifyOne(t);
      if (f != Failure.OTHER) {
        return f;
      }
    }
    return Failure.OTHER;
  }

  private static Failure classifyOne(Throwable t) {
    if (t instanceof ConnectTimeoutException) {
      return Failure.CONNECT_TIMEOUT;
    }
    if (t instanceof FileNotFoundException || t instanceof NoSuchFileException) {
      return Failure.CONNECT_NO_SOCKET;
    }
    String m = t.getMessage();
    if (m == null) {
      return Failure.OTHER;
    }
    if (m.contains("Too many open files") || m.contains("error(-24)")) {
      return Failure.TOO_MANY_OPEN_FILES;
    }
    if (m.contains("Resource temporarily unavailable") || m.contains("error(-11)")) {
      return Failure.CONNECT_EAGAIN;
    }
    if (m.contains("Connection refused") || m.contains("error(-111)")) {
      return Failure.CONNECT_REFUSED;
    }
    if (m.contains("No such file or directory") || m.contains("error(-2)")) {
      return Failure.CONNECT_NO_SOCKET;
    }
    // ETIMEDOUT: the kernel gave up on SYN retransmissions before Netty's own connect timeout.
    if (m.contains("Connection timed out") || m.contains("error(-110)")) {
      return Failure.CONNECT_TIMEOUT;
    }
    return Failure.OTHER;
  }

  /** A one-line description of {@code error} for reports: its message, or its type when it has none. */
  static String describe(Throwable error) {
    String m = error.getMessage();
    return m == null || m.isBlank() ? error.getClass().getName() : m.replace('\n', ' ');
  }
}
