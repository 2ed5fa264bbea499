package io.sluice.testing;

import io.sluice.limit.Decision;
import io.sluice.limit.Limit;
import io.sluice.limit.Outcome;
import java.util.ArrayList;
import java.util.List;

/**
 * A limit a test sets by hand: it remembers every outcome reported to it, can claim a last decision, and can take a
 * new value when told of the backend's accept queue.
 */
public final class RecordingLimit implements Limit {

  public int current;
  public final List<Outcome> outcomes = new ArrayList<>();
  /** What {@link #lastDecision} says. */
  public Decision last;
  /** The value it takes at the next accept-queue reading, when not negative. */
  public int afterQueueReading = -1;

  public RecordingLimit(int current) {
    this.current = current;
  }

  @Override
  public int current() {
    return current;
  }

  @Override
  public void onSample(long nowNanos, long rttNanos, int inflightAtStart, int inflight, int waiting, Outcome outcome) {
    outcomes.add(outcome);
  }

  @Override
  public void onBackendQueue(long nowNanos, int depth, int inflight, int waiting, boolean connectionsKept,
      int open) {
    if (afterQueueReading >= 0) {
      current = afterQueueReading;
    }
  }

  @Override
  public String setting() {
    return last == null ? Integer.toString(current) : "auto";
  }

  @Override
  public Decision lastDecision() {
    return last;
  }
}
