package io.sluice.kernel;

import java.io.IOException;

/**
 * This process's file descriptor limit and use. Every client waiting in Sluice's queue holds a
 * descriptor, so this bounds the queue.
 *
 * <p>Blocking but cheap (a system call or a /proc listing): call at start-up or on a worker thread,
 * never on an event loop. Thread-safe; holds no state.
 */
public interface FdLimits {

  /** The implementation for this process. */
  static FdLimits system() {
    return SystemFdLimits.INSTANCE;
  }

  /** The current RLIMIT_NOFILE (getrlimit(2)). */
  FdLimit current() throws IOException;

  /**
   * Raises the soft limit to the hard one. HotSpot normally did so at start (-XX:+MaxFDLimit, on by
   * default); this covers JVMs run with it off. An unlimited hard limit raises the soft one to
   * {@code fs.nr_open}, the most setrlimit(2) accepts.
   *
   * @return whether the soft limit had to be raised
   * @throws IOException with the errno's text when setrlimit(2) fails
   */
  boolean raiseSoftToHard() throws IOException;

  /** How many file descriptors this process has open now (entries of {@code /proc/self/fd}). */
  int openCount() throws IOException;
}
