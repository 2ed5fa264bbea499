package io.sluice.testing;

import io.sluice.kernel.FdLimit;
import io.sluice.kernel.FdLimits;
import io.sluice.kernel.KernelQueue;
import io.sluice.kernel.KernelQueues;
import java.net.SocketAddress;
import java.util.Collection;
import java.util.Map;

/** The kernel's readings as a test fixes them: accept queues by address, descriptors 1024/4096 with 42 open. */
public final class FixedKernel implements KernelQueues, FdLimits {

  private final Map<SocketAddress, KernelQueue> queues;

  /** @param queues what sock_diag reports; an address missing here is one it does not report */
  public FixedKernel(Map<SocketAddress, KernelQueue> queues) {
    this.queues = Map.copyOf(queues);
  }

  @Override
  public Map<SocketAddress, KernelQueue> read(Collection<? extends SocketAddress> targets) {
    return queues;
  }

  @Override
  public void close() {
  }

  @Override
  public FdLimit current() {
    return new FdLimit(1024, 4096);
  }

  @Override
  public boolean raiseSoftToHard() {
    return false;
  }

  @Override
  public int openCount() {
    return 42;
  }
}
