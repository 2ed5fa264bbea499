package io.sluice.kernel;

import java.io.IOException;

/** {@link FdLimits} through libc's getrlimit(2)/setrlimit(2) and /proc. */
final class SystemFdLimits implements FdLimits {

  static final SystemFdLimits INSTANCE = new SystemFdLimits();

  /** RLIM_INFINITY (include/uapi/asm-generic/resource.h): all ones, -1 as a Java long. */
  private static final long RLIM_INFINITY = -1;

  private SystemFdLimits() {}

  @Override
  public FdLimit current() throws IOException {
    Native.LibC.RLimit raw = get();
    return new FdLimit(reported(raw.cur.get()), reported(raw.max.get()));
  }

  @Override
  public boolean raiseSoftToHard() throws IOException {
    Native.LibC.RLimit raw = get();
    long hard = raw.max.get();
    // setrlimit refuses a NOFILE limit above fs.nr_open with EPERM (kernel/sys.c, do_prlimit).
    long target = hard == RLIM_INFINITY ? ProcFs.readLong(ProcFs.NR_OPEN) : hard;
    if (Long.compareUnsigned(raw.cur.get(), target) >= 0) {
      return false;
    }
    raw.cur.set(target);
    if (Native.libc().setrlimit(Native.RLIMIT_NOFILE, raw) < 0) {
      throw Native.failure("setrlimit(RLIMIT_NOFILE, " + target + ")", Native.errno());
    }
    return true;
  }

  @Override
  public int openCount() throws IOException {
    return ProcFs.openFds();
  }

  private static Native.LibC.RLimit get() throws IOException {
    Native.LibC libc = Native.libc();
    Native.LibC.RLimit raw = new Native.LibC.RLimit(jnr.ffi.Runtime.getRuntime(libc));
    if (libc.getrlimit(Native.RLIMIT_NOFILE, raw) < 0) {
      throw Native.failure("getrlimit(RLIMIT_NOFILE)", Native.errno());
    }
    return raw;
  }

  private static long reported(long rlim) {
    return rlim == RLIM_INFINITY ? FdLimit.UNLIMITED : rlim;
  }
}
