package io.sluice.limit;

import java.util.Locale;

/** Why an adaptive limit moved. {@link #label()} is the metric's {@code reason}. */
public enum Reason {
  /** Requests were waiting and every doubling so far still raised throughput. */
  SLOW_START,
  /** More requests in flight stopped raising throughput: back to just above where it still rose. */
  PLATEAU,
  /**
   * Requests were waiting for a backend that answers in under 2 ms: it gets as many as it answers in 2 ms, since
   * holding them in Sluice's queue costs more than their wait at the backend.
   */
  QUICK,
  /** A step above or below the limit, to see whether throughput follows. */
  PROBE,
  /** A step below the limit cost throughput: back up. */
  PROBE_LOST,
  /** Requests were waiting while the backend's accept queue stayed empty: its workers can take more. */
  BACKEND_IDLE,
  /** The backend's own accept queue held more than a few requests: its workers are all busy. */
  BACKEND_QUEUE,
  /** The backend refused a connection because its queue was full (EAGAIN, or a TCP connect that timed out). */
  OVERFLOW,
  /** More requests timed out at a higher limit than at the one before it. */
  TIMEOUTS;

  /** The name in lower case: {@code slow_start}, {@code backend_queue}, ... */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
