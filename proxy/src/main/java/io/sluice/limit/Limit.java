package io.sluice.limit;

/**
 * How many requests may be inside one backend at once. A {@code Limit} only computes the number; the dispatcher
 * enforces it by handing out {@link Permit}s.
 *
 * <p>Implementations are not thread-safe: the dispatcher calls them under its own lock.
 */
public interface Limit {

  /** The current limit, at least 1. */
  int current();

  /**
   * Reports one finished exchange with the backend.
   *
   * @param startNanos when the exchange started, on the dispatcher's clock
   * @param rttNanos   how long the backend took, from sending the request to the end of its response
   * @param inflight   requests inside the backend when this one started, itself included
   * @param dropped    the backend could not take the request (its queue was full, or it timed out)
   */
  void onSample(long startNanos, long rttNanos, int inflight, boolean dropped);

  /**
   * Reports the depth of the backend's own accept queue, sampled from the kernel a few times a second when it will
   * say (a backend on this machine). For a prefork backend these are requests no worker has taken yet.
   */
  default void onBackendQueue(int depth) {
  }

  /** {@code auto} or the fixed number, as configured and as shown by the admin API. */
  String setting();
}
