package io.sluice.limit;

/** A limit that never moves: the operator's number. */
public final class FixedLimit implements Limit {

  private final int limit;

  public FixedLimit(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit: " + limit + " (expected: >= 1)");
    }
    this.limit = limit;
  }

  @Override
  public int current() {
    return limit;
  }

  @Override
  public void onSample(long nowNanos, long rttNanos, int inflightAtStart, int inflight, int waiting, Outcome outcome) {
    // a fixed limit learns nothing
  }

  @Override
  public String setting() {
    return Integer.toString(limit);
  }

  @Override
  public String toString() {
    return "FixedLimit[" + limit + "]";
  }
}
