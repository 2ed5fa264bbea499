package io.sluice.kernel;

/**
 * RLIMIT_NOFILE: how many file descriptors this process may have open.
 *
 * @param soft the limit in force; open(2), socket(2) and accept(2) fail with EMFILE past it
 * @param hard the ceiling the soft limit may be raised to without privilege
 */
public record FdLimit(long soft, long hard) {

  /** How RLIM_INFINITY is reported. */
  public static final long UNLIMITED = Long.MAX_VALUE;
}
