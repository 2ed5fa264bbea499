package io.sluice.config;

import java.util.Objects;

/** One front listener: where clients connect and the kernel backlog of its listening socket. */
public record ListenerConfig(Address address, MaxOr backlog) {
  public ListenerConfig {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(backlog, "backlog");
  }
}
