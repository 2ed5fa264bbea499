package io.sluice.backend;

import io.netty.channel.ConnectTimeoutException;

/**
 * Reads a failed connect. Every connect failure means the backend never received the request, so the request is
 * retried; this only tells a busy backend (its accept queue is full) from one that is down (not listening, socket
 * file missing, unreachable), which sets the backoff.
 *
 * <p>The same errno surfaces differently by transport: Netty's epoll transport throws a {@code ConnectException}
 * whose text is {@code connect(..) failed with error(-11):Resource temporarily unavailable} (or, annotated,
 * {@code connect(..) failed: Resource temporarily unavailable: /path}); the JDK's NIO transport throws a
 * {@code SocketException} with the bare strerror text. Both carry the strerror text, so that is what is matched.
 */
public final class ConnectFailures {

  private ConnectFailures() {
  }

  /** Whether the failure says the backend is busy rather than down. */
  public static boolean busy(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ConnectTimeoutException) {
        // A TCP backend whose accept queue is full drops the SYN: the connect times out.
        return true;
      }
      String m = t.getMessage();
      if (m != null && (m.contains("Resource temporarily unavailable") || m.contains("error(-11)")
          || m.contains("Too many open files"))) {
        return true;
      }
    }
    return false;
  }

  /** A short description of the failure for logs: the deepest message, without the stack. */
  public static String describe(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }
}
