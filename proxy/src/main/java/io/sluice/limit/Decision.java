package io.sluice.limit;

/**
 * One move of an adaptive limit: from what to what, when and why. Shown in status as the backend's last decision
 * and counted in {@code sluice_backend_limit_changes_total{backend,direction,reason}}.
 *
 * @param atNanos when, on the dispatcher's clock
 * @param from    the limit before
 * @param to      the limit after (never equal to {@code from})
 * @param reason  why
 */
public record Decision(long atNanos, int from, int to, Reason reason) {

  /** The {@link #direction} of a move up. */
  public static final String UP = "up";
  /** The {@link #direction} of a move down. */
  public static final String DOWN = "down";

  public Decision {
    if (from == to) {
      throw new IllegalArgumentException("to: " + to + " (expected: != from)");
    }
    java.util.Objects.requireNonNull(reason, "reason");
  }

  /** {@code up} or {@code down}, as the metric's {@code direction} label. */
  public String direction() {
    return to > from ? UP : DOWN;
  }
}
