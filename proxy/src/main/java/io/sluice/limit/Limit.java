package io.sluice.limit;

/**
 * How many requests may be inside one backend at once. A {@code Limit} only computes the number; the dispatcher
 * enforces it by handing out {@link Permit}s and reports back what happened to them.
 *
 * <p>Implementations are not thread-safe: the dispatcher calls them under its own lock. Times are on the
 * dispatcher's monotonic clock, in nanoseconds.
 */
public interface Limit {

  /** The current limit, at least 1. */
  int current();

  /**
   * Reports one finished exchange with the backend.
   *
   * @param nowNanos        when it finished
   * @param rttNanos        how long the backend took, from the grant to the end of its response
   * @param inflightAtStart requests inside the backend when this one started, itself included
   * @param inflight        requests inside the backend just before this one left, itself included
   * @param waiting         requests waiting in Sluice's queue at that moment: more than zero means the limits, not
   *                        the demand, are what holds requests back
   * @param outcome         how it ended; {@link Outcome#IGNORED} exchanges say nothing and may be skipped
   */
  void onSample(long nowNanos, long rttNanos, int inflightAtStart, int inflight, int waiting, Outcome outcome);

  /**
   * Reports the depth of the backend's own accept queue, sampled from the kernel a few times a second where it will
   * say (a backend on this machine). For a prefork backend these are requests no worker has taken yet.
   *
   * @param inflight        requests inside the backend at that moment
   * @param waiting         requests waiting in Sluice's queue at that moment
   * @param connectionsKept whether the backend keeps Sluice's connections alive (more calls handed their connection
   *                        back for reuse than opened one since the last reading): a connection waiting in such a
   *                        backend's accept queue waits for one of the others to close, not for a worker to be free
   * @param open            Sluice's connections open to the backend at that moment, in use and idle: one that such a
   *                        backend has accepted holds one of its slots between two calls as well
   */
  default void onBackendQueue(long nowNanos, int depth, int inflight, int waiting, boolean connectionsKept, int open) {
  }

  /** {@code auto} or the fixed number, as configured and as shown by the admin API. */
  String setting();

  /** The last time the limit moved and why; {@code null} while it never has. */
  default Decision lastDecision() {
    return null;
  }
}
