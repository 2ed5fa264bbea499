package io.sluice.admin;

import io.sluice.config.LimitSetting;
import io.sluice.config.MaxOr;
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
 */
public record Limits(MaxOr backlog, MaxOr queueMax, Duration queueTimeout, Map<String, LimitSetting> backends) {

  public Limits {
    Objects.requireNonNull(backlog, "backlog");
    Objects.requireNonNull(queueMax, "queueMax");
    Objects.requireNonNull(queueTimeout, "queueTimeout");
    backends = Collections.unmodifiableMap(new LinkedHashMap<>(backends));
  }

  public Limits withBacklog(MaxOr value) {
    return new Limits(value, queueMax, queueTimeout, backends);
  }

  public Limits withQueueMax(MaxOr value) {
    return new Limits(backlog, value, queueTimeout, backends);
  }

  public Limits withQueueTimeout(Duration value) {
    return new Limits(backlog, queueMax, value, backends);
  }

  /** The same limits with one backend's limit replaced; the backend must exist. */
  public Limits withBackendLimit(String name, LimitSetting value) {
    if (!backends.containsKey(name)) {
      throw new IllegalArgumentException("no backend named " + name);
    }
    Map<String, LimitSetting> copy = new LinkedHashMap<>(backends);
    copy.put(name, value);
    return new Limits(backlog, queueMax, queueTimeout, copy);
  }
}
