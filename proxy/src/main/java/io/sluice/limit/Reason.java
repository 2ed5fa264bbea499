package io.sluice.limit;

/** Why an adaptive limit moved. The label is the metric's {@code reason}. */
public enum Reason {
  /** Requests were waiting and every doubling so far still raised throughput. */
  SLOW_START("slow_start"),
  /** Requests were waiting and the backend showed no queue of its own: its workers can take more. */
  BACKEND_IDLE("backend_idle"),
  /** The backend's own accept queue held more than a few requests: its workers are all busy. */
  BACKEND_QUEUE("backend_queue"),
  /** A probe above the limit raised throughput: kept. */
  PROBE_GAINED("probe_gained"),
  /** More requests in flight stopped raising throughput: back to where it was still rising. */
  PLATEAU("plateau"),
  /** A probe below the limit lost no throughput: kept. */
  PROBE_NO_LOSS("probe_no_loss"),
  /** The backend refused a connection because its queue was full (EAGAIN, or a TCP connect timed out). */
  OVERFLOW("overflow"),
  /** More requests timed out at a higher limit than at the lower one before it. */
  TIMEOUTS("timeouts");

  private final String label;

  Reason(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
