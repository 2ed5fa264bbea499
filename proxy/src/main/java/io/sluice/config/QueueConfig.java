package io.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Sluice's own wait queue: at most {@code max} requests wait (or {@code max} = bounded by file descriptors),
 * each for at most {@code timeout}, served by {@code discipline}.
 *
 * @param target under sustained overload, the adaptive discipline keeps only what drains within this wait
 */
public record QueueConfig(MaxOr max, Duration timeout, QueueDiscipline discipline, Duration target) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  public static final QueueDiscipline DEFAULT_DISCIPLINE = QueueDiscipline.ADAPTIVE;
  public static final Duration DEFAULT_TARGET = Duration.ofMillis(500);

  public QueueConfig {
    Objects.requireNonNull(max, "max");
    Durations.requirePositive("timeout", timeout);
    Objects.requireNonNull(discipline, "discipline");
    Durations.requirePositive("target", target);
  }

  /** A queue with the default discipline and target. */
  public QueueConfig(MaxOr max, Duration timeout) {
    this(max, timeout, DEFAULT_DISCIPLINE, DEFAULT_TARGET);
  }

  public QueueConfig withMax(MaxOr newMax) {
    return new QueueConfig(newMax, timeout, discipline, target);
  }

  public QueueConfig withTimeout(Duration newTimeout) {
    return new QueueConfig(max, newTimeout, discipline, target);
  }

  public QueueConfig withDiscipline(QueueDiscipline newDiscipline) {
    return new QueueConfig(max, timeout, newDiscipline, target);
  }

  public QueueConfig withTarget(Duration newTarget) {
    return new QueueConfig(max, timeout, discipline, newTarget);
  }
}
