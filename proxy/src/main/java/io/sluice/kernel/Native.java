package io.sluice.kernel;

import java.io.IOException;
import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Runtime;

/**
 * The lazily loaded libc binding and the Linux constants used with it.
 *
 * <p>The constants are the Linux values shared by x86_64 and aarch64, the two platforms Sluice ships
 * Netty's epoll transport for; each names the header it comes from.
 */
final class Native {

  // include/linux/socket.h
  static final int AF_UNIX = 1;
  static final int AF_INET = 2;
  static final int AF_INET6 = 10;
  static final int AF_NETLINK = 16;
  static final int SOL_SOCKET = 1;
  // include/linux/net.h (SOCK_RAW) and include/uapi/asm-generic/fcntl.h (O_CLOEXEC = 02000000)
  static final int SOCK_RAW = 3;
  static final int SOCK_CLOEXEC = 0x80000;
  // include/uapi/asm-generic/socket.h: SO_RCVTIMEO_OLD, which takes a struct timeval of native longs
  static final int SO_RCVTIMEO = 20;
  // include/uapi/linux/in.h
  static final int IPPROTO_TCP = 6;
  // include/uapi/asm-generic/errno-base.h, errno.h
  static final int EINTR = 4;
  static final int EAGAIN = 11;
  // include/uapi/asm-generic/resource.h
  static final int RLIMIT_NOFILE = 7;

  private Native() {}

  /**
   * The libc binding, loaded on first use.
   *
   * @throws IOException when the native library cannot be loaded (no jffi stub for this platform)
   */
  static LibC libc() throws IOException {
    try {
      return Holder.LIBC;
    } catch (LinkageError e) {
      throw new IOException("native calls unavailable: " + e, e);
    }
  }

  /** errno as saved by the last call through {@link #libc()} on this thread. */
  static int errno() {
    return Runtime.getRuntime(Holder.LIBC).getLastError();
  }

  /** {@code "Resource temporarily unavailable (EAGAIN)"}. */
  static String describe(int errno) {
    Errno e = Errno.valueOf(errno);
    return e.defined() ? e.description() + " (" + e.name() + ")" : "errno " + errno;
  }

  /** An IOException for the errno of a failed call, e.g. {@code "listen(fd 12, 50): Bad file descriptor (EBADF)"}. */
  static ErrnoException failure(String call, int errno) {
    return new ErrnoException(call + ": " + describe(errno), errno);
  }

  /** Initialised by the JVM on first access, so the library is loaded lazily and exactly once. */
  private static final class Holder {
    static final LibC LIBC =
        LibraryLoader.create(LibC.class).option(LibraryOption.SaveError, Boolean.TRUE).load("c");
  }

  /** A failed system call; {@link #errno()} lets this package tell EAGAIN or ENOENT from the rest. */
  static final class ErrnoException extends IOException {
    private final int errno;

    ErrnoException(String message, int errno) {
      super(message);
      this.errno = errno;
    }

    int errno() {
      return errno;
    }
  }
}
