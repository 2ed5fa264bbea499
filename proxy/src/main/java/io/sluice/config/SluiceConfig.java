package io.sluice.config;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The whole validated configuration: immutable, built once from the YAML file and the command line, and replaced
 * whole (never mutated) when limits change at run time.
 */
public record SluiceConfig(
    List<ListenerConfig> listeners,
    QueueConfig queue,
    List<BackendConfig> backends,
    AdminConfig admin,
    BufferConfig buffers,
    Duration drainTimeout,
    ClientConfig clients,
    ForwardingConfig forwarding) {

  public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

  /** A configuration with the default forwarding. */
  public SluiceConfig(List<ListenerConfig> listeners, QueueConfig queue, List<BackendConfig> backends,
      AdminConfig admin, BufferConfig buffers, Duration drainTimeout, ClientConfig clients) {
    this(listeners, queue, backends, admin, buffers, drainTimeout, clients, ForwardingConfig.DEFAULTS);
  }

  public SluiceConfig {
    listeners = List.copyOf(listeners);
    backends = List.copyOf(backends);
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(buffers, "buffers");
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    Objects.requireNonNull(clients, "clients");
    Objects.requireNonNull(forwarding, "forwarding");
    if (listeners.isEmpty()) {
      throw new IllegalArgumentException("listen: no address (expected: at least one)");
    }
    if (backends.isEmpty()) {
      throw new IllegalArgumentException("backends: none configured (expected: at least one, e.g. --backend unix:/run/app.sock)");
    }
    Set<String> names = new HashSet<>();
    for (BackendConfig b : backends) {
      if (!names.add(b.name())) {
        throw new IllegalArgumentException("backends: the name \"" + b.name() + "\" is used twice (expected: unique names)");
      }
    }
  }

  /** The backend with this name, or {@code null}. */
  public BackendConfig backend(String name) {
    for (BackendConfig b : backends) {
      if (b.name().equals(name)) {
        return b;
      }
    }
    return null;
  }
}
