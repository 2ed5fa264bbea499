package io.sluice.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What the configuration file sets, defaults filled in, before the command line overrides it. Unlike
 * {@link SluiceConfig} it may have no backend (the command line may give them), and its admin address is not yet
 * checked against the token (the token may come from the command line or the environment).
 *
 * @param adminAddressOrigin how an error about the admin address names where it was set, e.g.
 *                           {@code sluice.yaml:12: admin.address}, or {@code --admin} when the file leaves the
 *                           default (a loopback address, which is never the subject of an error)
 */
record FileSettings(
    List<ListenerConfig> listeners,
    QueueConfig queue,
    List<BackendConfig> backends,
    AdminConfig admin,
    String adminAddressOrigin,
    BufferConfig buffers,
    Duration drainTimeout,
    ClientConfig clients) {

  static final List<ListenerConfig> DEFAULT_LISTENERS =
      List.of(new ListenerConfig(new Address.Tcp("", 8080), MaxOr.MAX));

  FileSettings {
    listeners = List.copyOf(listeners);
    backends = List.copyOf(backends);
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(adminAddressOrigin, "adminAddressOrigin");
    Objects.requireNonNull(buffers, "buffers");
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    Objects.requireNonNull(clients, "clients");
  }

  /** The settings when there is no configuration file. */
  static FileSettings defaults() {
    return new FileSettings(DEFAULT_LISTENERS, new QueueConfig(MaxOr.MAX, QueueConfig.DEFAULT_TIMEOUT), List.of(),
        AdminConfig.defaults(), "--admin", BufferConfig.defaults(), SluiceConfig.DEFAULT_DRAIN_TIMEOUT,
        ClientConfig.DEFAULTS);
  }
}
