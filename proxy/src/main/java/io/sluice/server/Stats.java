package io.sluice.server;

import java.util.concurrent.atomic.LongAdder;

/** Request totals since start, by outcome. Thread-safe; cheap to update from every event loop. */
public final class Stats {

  private final LongAdder received = new LongAdder();
  private final LongAdder[] outcomes = new LongAdder[RequestOutcome.values().length];

  public Stats() {
    for (int i = 0; i < outcomes.length; i++) {
      outcomes[i] = new LongAdder();
    }
  }

  void onReceived() {
    received.increment();
  }

  void onFinished(RequestOutcome outcome) {
    outcomes[outcome.ordinal()].increment();
  }

  /** Requests whose head was received. */
  public long received() {
    return received.sum();
  }

  /** Requests that ended this way. */
  public long count(RequestOutcome outcome) {
    return outcomes[outcome.ordinal()].sum();
  }
}
