package io.sluice.admin;

import io.sluice.config.BackendConfig;
import io.sluice.config.LimitSetting;
import io.sluice.config.MaxOr;
import io.sluice.config.QueueConfig;
import io.sluice.config.QueueDiscipline;
import io.sluice.config.SluiceConfig;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The settings that can change while Sluice serves: what {@code GET /api/v1/limits} shows and
 * {@code PATCH /api/v1/limits} changes.
 *
 * @param backlog      the kernel backlog of every listener
 * @param queueMax     most requests waiting in Sluice's queue
 * @param queueTimeout longest wait in the queue
 * @param backends     each backend's limit, by name, in configuration order
 * @param discipline   how the queue serves and sheds under load
 * @param queueTarget  the wait the adaptive discipline holds under sustained overload
 */
public record Limits(MaxOr backlog, MaxOr queueMax, Duration queueTimeout, Map<String, LimitSetting> backends,
    QueueDiscipline discipline, Duration queueTarget) {

  public Limits {
    Objects.requireNonNull(backlog, "backlog");
    Objects.requireNonNull(queueMax, "queueMax");
    Objects.requireNonNull(queueTimeout, "queueTimeout");
    Objects.requireNonNull(discipline, "discipline");
    Objects.requireNonNull(queueTarget, "queueTarget");
    backends = Collections.unmodifiableMap(new LinkedHashMap<>(backends));
  }

  /** Limits with the queue's default discipline and target. */
  public Limits(MaxOr backlog, MaxOr queueMax, Duration queueTimeout, Map<String, LimitSetting> backends) {
    this(backlog, queueMax, queueTimeout, backends, QueueConfig.DEFAULT_DISCIPLINE, QueueConfig.DEFAULT_TARGET);
  }

  /** The limits a configuration starts with. */
  public static Limits of(SluiceConfig config) {
    Map<String, LimitSetting> backends = new LinkedHashMap<>();
    for (BackendConfig b : config.backends()) {
      backends.put(b.name(), b.limit());
    }
    QueueConfig q = config.queue();
    return new Limits(config.listeners().get(0).backlog(), q.max(), q.timeout(), backends, q.discipline(),
        q.target());
  }

  public Limits withBacklog(MaxOr value) {
    return new Limits(value, queueMax, queueTimeout, backends, discipline, queueTarget);
  }

  public Limits withQueueMax(MaxOr value) {
    return new Limits(backlog, value, queueTimeout, backends, discipline, queueTarget);
  }

  public Limits withQueueTimeout(Duration value) {
    return new Limits(backlog, queueMax, value, backends, discipline, queueTarget);
  }

  public Limits withDiscipline(QueueDiscipline value) {
    return new Limits(backlog, queueMax, queueTimeout, backends, value, queueTarget);
  }

  public Limits withQueueTarget(Duration value) {
    return new Limits(backlog, queueMax, queueTimeout, backends, discipline, value);
  }

  /** The same limits with one backend's limit replaced; the backend must exist. */
  public Limits withBackendLimit(String name, LimitSetting value) {
    if (!backends.containsKey(name)) {
      throw new IllegalArgumentException("no backend named " + name);
    }
    Map<String, LimitSetting> copy = new LinkedHashMap<>(backends);
    copy.put(name, value);
    return new Limits(backlog, queueMax, queueTimeout, copy, discipline, queueTarget);
  }
}
