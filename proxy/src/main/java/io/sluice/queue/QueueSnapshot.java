package io.sluice.queue;

import java.util.List;

/**
 * The queue and the backends at one instant, for status and metrics.
 *
 * @param oldestWaitNanos how long the oldest waiter has waited (0 when none waits)
 * @param drainPerSecond  requests that left a backend per second, over the last second
 * @param discipline      {@code fifo} or {@code adaptive}
 * @param targetNanos     the wait an adaptive line holds under sustained overload
 * @param overloaded      whether the line is in sustained overload now
 * @param modeAgeNanos    how long ago {@code overloaded} last changed; -1 when it never has
 */
public record QueueSnapshot(int depth, int peak, int maxDepth, long timeoutNanos, long oldestWaitNanos,
    double drainPerSecond, String discipline, long targetNanos, boolean overloaded, long modeAgeNanos,
    List<LaneSnapshot> backends) {

  public QueueSnapshot {
    backends = List.copyOf(backends);
  }
}
