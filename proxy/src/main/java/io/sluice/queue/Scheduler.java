package io.sluice.queue;

/** Runs a task after a delay; injected so the dispatcher can be driven by a fake clock in tests. */
@FunctionalInterface
public interface Scheduler {

  /** Runs {@code task} once, on any thread, about {@code delayNanos} from now. */
  void schedule(long delayNanos, Runnable task);
}
