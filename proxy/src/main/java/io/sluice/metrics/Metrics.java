package io.sluice.metrics;

/**
 * What the request path reports beyond its counters. Implementations are thread-safe and cheap: they are called
 * from every event loop for every request. Counters and gauges are read from {@code Stats} and the dispatcher when
 * scraped, so they need no call here.
 */
public interface Metrics {

  /** A request left the queue for a backend after waiting this long. */
  void queueWait(long nanos);

  /** Reports nothing; for tests and for running without metrics. */
  static Metrics noop() {
    return nanos -> { };
  }
}
