package io.sluice.kernel;

import java.io.IOException;
import jnr.constants.platform.Errno;
import jnr.ffi.LibraryLoader;
import jnr.ffi.LibraryOption;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

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

  /**
   * The libc calls this package needs and the JDK does not offer. Each returns -1 on failure and
   * leaves errno for {@link #errno()}.
   *
   * <p>Public only because jnr-ffi implements it in a class loader of its own; the enclosing class
   * keeps it out of the package's API.
   */
  public interface LibC {

    int socket(int domain, int type, int protocol);

    /** Only used for SO_RCVTIMEO: {@code optval} is a {@code struct timeval} of two 64-bit longs. */
    int setsockopt(int fd, int level, int optname, @In long[] optval, int optlen);

    @ssize_t
    long send(int fd, @In byte[] buf, @size_t long len, int flags);

    @ssize_t
    long recv(int fd, Pointer buf, @size_t long len, int flags);

    int listen(int fd, int backlog);

    int close(int fd);

    int getrlimit(int resource, @Out RLimit rlim);

    int setrlimit(int resource, @In RLimit rlim);

    /** {@code struct rlimit} (include/uapi/linux/resource.h): two {@code rlim_t}, an unsigned long each. */
    final class RLimit extends Struct {
      final UnsignedLong cur = new UnsignedLong();
      final UnsignedLong max = new UnsignedLong();

      RLimit(jnr.ffi.Runtime runtime) {
        super(runtime);
      }
    }
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
