package io.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Sluice's own wait queue: at most {@code max} requests wait (or {@code max} = bounded by file descriptors),
 * each for at most {@code timeout}.
 */
public record QueueConfig(MaxOr max, Duration timeout) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  public QueueConfig {
    Objects.requireNonNull(max, "max");
    Durations.requirePositive("timeout", timeout);
  }

  public QueueConfig withMax(MaxOr newMax) {
    return new QueueConfig(newMax, timeout);
  }

  public QueueConfig withTimeout(Duration newTimeout) {
    return new QueueConfig(max, newTimeout);
  }
}
