package io.sluice.limit;

/**
 * One window of {@link AdaptiveLimit}'s samples: the requests that succeeded or timed out since it began, and what
 * they show — throughput by Little's law, the share of timeouts, the mean round trip and how widely round trips
 * varied — once it is {@link #close closed}.
 *
 * <p>Not thread-safe: the dispatcher calls the limit under its lock.
 */
final class Window {

  private static final long SECOND = 1_000_000_000L;
  /** The fewest samples of a slow-start window: two rounds of the first limit (each takes a round trip). */
  private static final int SLOW_START_WINDOW = 8;
  /**
   * A slow-start window lasts at most this many rounds of the limit: a doubling is judged against a gain of half, which
   * needs no fine precision (and a step that falls short is measured twice), and round trips that vary widely at first
   * (a cold JVM, connections being opened) would otherwise stretch the first windows to seconds.
   */
  private static final int SLOW_START_ROUNDS = 2;
  private static final int WINDOW = 32;
  private static final int MAX_WINDOW = 2000;
  /** The relative standard error of a window's mean round trip that a decision needs. */
  private static final double SLOW_START_PRECISION = 0.05;
  private static final double PRECISION = 0.02;

  private int samples;
  private int binding;
  private int timeouts;
  private double rttSum;
  private double rttSquares;
  private double inflightSum;

  // What the last closed window showed.
  private double throughput;
  private double timeoutShare;
  private double meanRtt;
  private double rttVariation;

  /**
   * Counts a request that succeeded.
   *
   * @param inflight requests in flight when it ended
   * @param binding  whether the limit held requests back then (some waited, or every slot was taken)
   */
  void success(long rttNanos, int inflight, boolean binding) {
    samples++;
    rttSum += rttNanos;
    rttSquares += (double) rttNanos * rttNanos;
    inflightSum += inflight;
    if (binding) {
      this.binding++;
    }
  }

  void timeout() {
    timeouts++;
  }

  /** Successes counted so far. */
  int samples() {
    return samples;
  }

  /**
   * Ends the window and starts the next one.
   *
   * @return whether it had demand behind it: at least {@code bindingShare} of its samples found the limit binding
   */
  boolean close(double bindingShare) {
    boolean valid = binding >= bindingShare * samples;
    // Little's law: what was in flight over how long each took; per second.
    throughput = inflightSum / rttSum * SECOND;
    timeoutShare = (double) timeouts / (samples + timeouts);
    meanRtt = rttSum / samples;
    rttVariation = Math.sqrt(Math.max(0, rttSquares / samples - meanRtt * meanRtt));
    reset();
    return valid;
  }

  /** Forgets the samples counted since the window began; what the last closed window showed stays. */
  void reset() {
    samples = 0;
    binding = 0;
    timeouts = 0;
    rttSum = 0;
    rttSquares = 0;
    inflightSum = 0;
  }

  /** Requests per second in the last closed window. */
  double throughput() {
    return throughput;
  }

  double timeoutShare() {
    return timeoutShare;
  }

  /** The mean round trip of the last closed window, in nanoseconds; 0 before the first. */
  double meanRtt() {
    return meanRtt;
  }

  /**
   * Samples a window needs: at least the limit (a round of every slot) and enough for the mean round trip to be within
   * the precision a decision needs, given how much round trips varied in the last window ({@code n = (cv / p)²}).
   *
   * @param starting whether the limit is ramping up (slow start, or a recheck of a plateau), where a doubling is
   *                 judged against a gain of half
   */
  int size(int limit, boolean starting) {
    double p = starting ? SLOW_START_PRECISION : PRECISION;
    double cv = rttVariation / Math.max(1, meanRtt);
    int needed = (int) Math.min(starting ? SLOW_START_ROUNDS * limit : MAX_WINDOW, cv * cv / (p * p));
    return Math.max(limit, Math.max(needed, starting ? SLOW_START_WINDOW : WINDOW));
  }
}
