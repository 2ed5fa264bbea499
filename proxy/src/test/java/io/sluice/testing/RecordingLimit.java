package io.sluice.testing;

import io.sluice.limit.Limit;
import io.sluice.limit.Outcome;
import java.util.ArrayList;
import java.util.List;

/** A fixed limit that remembers every outcome reported to it. */
public final class RecordingLimit implements Limit {

  private final int limit;
  public final List<Outcome> outcomes = new ArrayList<>();

  public RecordingLimit(int limit) {
    this.limit = limit;
  }

  @Override
  public int current() {
    return limit;
  }

  @Override
  public void onSample(long nowNanos, long rttNanos, int inflightAtStart, int inflight, int waiting, Outcome outcome) {
    outcomes.add(outcome);
  }

  @Override
  public String setting() {
    return Integer.toString(limit);
  }
}
