package io.sluice.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a {@link Spike} saw. Every request ends in exactly one of: a response (counted in {@link #statuses} by its
 * status code, with its latency in {@link #latencies}) or a failure (counted in {@link #failures} by class).
 * Immutable.
 *
 * @param requests       how many requests were sent (the spike's connection count)
 * @param statuses       responses by status code, in code order; only codes that occurred
 * @param failures       requests without a complete response, by class; only classes that occurred
 * @param failureDetails the first error message seen for each class in {@code failures}
 * @param latencies      one per response, from the start of its connect to the end of its response, shortest first
 * @param elapsed        from the first connect to the last request's end
 */
public record SpikeResult(
    int requests,
    Map<Integer, Integer> statuses,
    Map<Failure, Integer> failures,
    Map<Failure, String> failureDetails,
    List<Duration> latencies,
    Duration elapsed) {

  /** Why a request got no complete response. */
  public enum Failure {
    CONNECT_REFUSED("connectRefused", "connect refused (ECONNREFUSED): nothing listens there"),
    CONNECT_EAGAIN("connectEagain", "connect EAGAIN: listen queue full (Resource temporarily unavailable)"),
    CONNECT_NO_SOCKET("connectNoSocket", "connect ENOENT: no socket at that path"),
    CONNECT_TIMEOUT("connectTimeout", "connect timed out"),
    TOO_MANY_OPEN_FILES("tooManyOpenFiles", "too many open files (EMFILE)"),
    CLOSED_BEFORE_STATUS("closedBeforeStatus", "reset or closed before a status line"),
    INCOMPLETE("incomplete", "reset or closed before the end of the response"),
    BAD_RESPONSE("badResponse", "not an HTTP/1.x response"),
    TIMEOUT("timeout", "no complete response within the timeout"),
    OTHER("other", "other error");

    private final String key;
    private final String label;

    Failure(String key, String label) {
      this.key = key;
      this.label = label;
    }

    /** The class's name in {@code --json} output, e.g. {@code connectEagain}. */
    public String key() {
      return key;
    }

    /** What the class means, for people. */
    public String label() {
      return label;
    }
  }

  public SpikeResult {
    Objects.requireNonNull(elapsed, "elapsed");
    statuses = Collections.unmodifiableMap(new TreeMap<>(statuses));
    failures = Collections.unmodifiableMap(failures.isEmpty() ? Map.of() : new EnumMap<>(failures));
    failureDetails = Collections.unmodifiableMap(failureDetails.isEmpty() ? Map.of() : new EnumMap<>(failureDetails));
    List<Duration> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    latencies = Collections.unmodifiableList(sorted);
    int counted = sum(statuses) + sum(failures);
    if (counted != requests || latencies.size() != sum(statuses)) {
      throw new IllegalArgumentException("requests: " + requests + " (expected: one response or failure each, got "
          + counted + ", and one latency per response)");
    }
  }

  /** How many requests got a response, whatever its status. */
  public int responses() {
    return latencies.size();
  }

  /** How many requests got no complete response. */
  public int failed() {
    return requests - responses();
  }

  /** How many responses had this status code. */
  public int count(int status) {
    return statuses.getOrDefault(status, 0);
  }

  /** How many requests failed this way. */
  public int count(Failure failure) {
    return failures.getOrDefault(failure, 0);
  }

  /** Whether every request got a {@code 2xx} response: the spike was absorbed. */
  public boolean allSucceeded() {
    return statuses.entrySet().stream().filter(e -> e.getKey() >= 200 && e.getKey() < 300)
        .mapToInt(Map.Entry::getValue).sum() == requests;
  }

  /**
   * The latency below which {@code fraction} of the responses fall (nearest rank: the smallest latency with at
   * least that share of responses at or below it), or empty when there were no responses.
   */
  public Optional<Duration> percentile(double fraction) {
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException("fraction: " + fraction + " (expected: > 0 and <= 1)");
    }
    if (latencies.isEmpty()) {
      return Optional.empty();
    }
    int rank = (int) Math.ceil(fraction * latencies.size());
    return Optional.of(latencies.get(Math.max(rank, 1) - 1));
  }

  /** The drain rate: responses per second of {@link #elapsed}. */
  public double rate() {
    long nanos = elapsed.toNanos();
    return nanos == 0 ? 0 : responses() / (nanos / 1e9);
  }

  private static int sum(Map<?, Integer> counts) {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }
}
