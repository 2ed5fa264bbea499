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
   * Samples a window needs for its mean round trip to be within {@code precision} (a relative standard error), given
   * how widely round trips varied in the last one: {@code (cv / precision)²}.
   */
  double samplesFor(double precision) {
    double cv = rttVariation / Math.max(1, meanRtt);
    return cv * cv / (precision * precision);
  }
}
