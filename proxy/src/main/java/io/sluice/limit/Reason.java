package io.sluice.limit;

import java.util.Locale;

/** Why an adaptive limit moved. The label is the metric's {@code reason}. */
public enum Reason {
  /** Requests were waiting and every doubling so far still raised throughput. */
  SLOW_START,
  /** Requests were waiting and the backend showed no queue of its own: its workers can take more. */
  BACKEND_IDLE,
  /** The backend's own accept queue held more than a few requests: its workers are all busy. */
  BACKEND_QUEUE,
  /** A probe above the limit raised throughput: kept. */
  PROBE_GAINED,
  /** More requests in flight stopped raising throughput: back to where it was still rising. */
  PLATEAU,
  /** A probe below the limit lost no throughput: kept. */
  PROBE_NO_LOSS,
  /** The backend refused a connection because its queue was full (EAGAIN, or a TCP connect timed out). */
  OVERFLOW,
  /** More requests timed out at a higher limit than at the lower one before it. */
  TIMEOUTS;

  /** The metric's {@code reason} label: the name in lower case, such as {@code slow_start}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
