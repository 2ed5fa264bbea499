package io.sluice.config;

import java.time.Duration;
import java.util.List;

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
    ClientConfig clients,
    ForwardingConfig forwarding) {

  static final List<ListenerConfig> DEFAULT_LISTENERS =
      List.of(new ListenerConfig(new Address.Tcp("", 8080), MaxOr.MAX));

  /** Made only here and by {@link YamlConfigFile}; the {@link SluiceConfig} built from it checks every part. */
  FileSettings {
    listeners = List.copyOf(listeners);
    backends = List.copyOf(backends);
  }

  /** The settings when there is no configuration file. */
  static FileSettings defaults() {
    return new FileSettings(DEFAULT_LISTENERS, new QueueConfig(MaxOr.MAX, QueueConfig.DEFAULT_TIMEOUT), List.of(),
        AdminConfig.defaults(), "--admin", BufferConfig.defaults(), SluiceConfig.DEFAULT_DRAIN_TIMEOUT,
        ClientConfig.DEFAULTS, ForwardingConfig.DEFAULTS);
  }
}
