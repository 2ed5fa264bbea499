package io.sluice.config;

import java.util.Objects;

/**
 * One front listener: where clients connect and the kernel backlog of its listening socket.
 *
 * @param proxyProtocol every connection starts with a PROXY protocol header (v1 or v2) from an L4 balancer, which
 *                      gives the real client's address
 */
public record ListenerConfig(Address address, MaxOr backlog, boolean proxyProtocol) {

  public ListenerConfig {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(backlog, "backlog");
  }

  /** A listener without the PROXY protocol. */
  public ListenerConfig(Address address, MaxOr backlog) {
    this(address, backlog, false);
  }

  public ListenerConfig withBacklog(MaxOr newBacklog) {
    return new ListenerConfig(address, newBacklog, proxyProtocol);
  }
}
