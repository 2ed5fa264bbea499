package io.sluice.kernel;

import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls this package needs and the JDK does not offer, bound through jnr-ffi by {@link Native}.
 * Each returns -1 on failure and leaves errno for {@link Native#errno()}.
 */
interface LibC {

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
