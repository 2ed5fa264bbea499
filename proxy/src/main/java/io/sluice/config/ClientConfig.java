package io.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How long Sluice waits on clients, as nginx's {@code keepalive_timeout}/{@code client_header_timeout} and
 * {@code client_body_timeout} do; a request waiting in Sluice's queue is never cut by either.
 *
 * @param idleTimeout a connection with no request under way (idle between requests, or still sending a request's
 *                    head) is closed after this long
 * @param bodyTimeout a client that sends nothing of its request body for this long gets 408 and is closed
 */
public record ClientConfig(Duration idleTimeout, Duration bodyTimeout) {

  public static final ClientConfig DEFAULTS = new ClientConfig(Duration.ofSeconds(60), Duration.ofSeconds(60));

  public ClientConfig {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(bodyTimeout, "bodyTimeout");
  }
}
