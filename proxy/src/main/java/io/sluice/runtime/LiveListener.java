package io.sluice.runtime;

import io.sluice.config.Address;
import io.sluice.kernel.KernelQueue;

/**
 * One front listener while Sluice runs: where it is bound, the backlog in force, and the latest reading of its
 * accept queue. Thread-safe: the backlog changes under {@link Backlogs}' lock, the reading on the sampler's thread;
 * both are read from anywhere.
 */
final class LiveListener {

  private final Address address;
  private volatile int backlog;
  private volatile KernelQueue kernelQueue = new KernelQueue.Unknown("not sampled yet");

  /**
   * @param address as bound (a TCP port 0 replaced by the port the kernel chose)
   * @param backlog what was passed to {@code listen(2)} at start
   */
  LiveListener(Address address, int backlog) {
    this.address = address;
    this.backlog = backlog;
  }

  Address address() {
    return address;
  }

  int backlog() {
    return backlog;
  }

  void backlog(int value) {
    backlog = value;
  }

  KernelQueue kernelQueue() {
    return kernelQueue;
  }

  void kernelQueue(KernelQueue q) {
    kernelQueue = q;
  }
}
