package io.sluice.kernel;

/**
 * A listening socket of this process, found by {@link Listeners#findTcp} or {@link Listeners#findUnix}.
 *
 * @param inode the socket's inode, which identifies it for as long as it is open
 * @param fd the file descriptor that held it when it was found
 */
public record ListenerSocket(long inode, int fd) {

  public ListenerSocket {
    if (inode < 0) {
      throw new IllegalArgumentException("inode: " + inode + " (expected: >= 0)");
    }
    if (fd < 0) {
      throw new IllegalArgumentException("fd: " + fd + " (expected: >= 0)");
    }
  }
}
