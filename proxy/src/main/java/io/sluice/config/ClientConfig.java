package io.sluice.config;

import java.time.Duration;
import java.util.List;

/**
 * How long Sluice waits on clients, as nginx's {@code keepalive_timeout}/{@code client_header_timeout} and
 * {@code client_body_timeout} do; a request waiting in Sluice's queue is never cut by either.
 *
 * @param idleTimeout a connection with no request under way (idle between requests, or still sending a request's
 *                    head) is closed after this long
 * @param bodyTimeout a client that sends nothing of its request body for this long gets 408 and is closed
 * @param bodyMinRate once a body has taken {@code bodyTimeout}, it must have come at this many bytes a second on
 *                    average, or it gets 408: a byte now and then does not hold a buffer forever
 * @param sendTimeout a client that accepts no byte of its response for this long is closed (nginx's
 *                    {@code send_timeout}), and what was buffered for it is freed
 * @param heldSlotTimeout a client that accepts no byte for this long while its response, with no room left to spool,
 *                    holds a backend slot that queued requests wait for, is closed: a client that reads nothing
 *                    costs the backend this long, not {@code sendTimeout}
 * @param trustedProxies peers whose forwarding headers ({@code X-Forwarded-For}, {@code -Proto}, {@code -Host},
 *                    {@code Forwarded}, {@code X-Request-Start}) are kept; every other client's are replaced
 */
public record ClientConfig(Duration idleTimeout, Duration bodyTimeout, long bodyMinRate, Duration sendTimeout,
    Duration heldSlotTimeout, List<Cidr> trustedProxies) {

  public static final long DEFAULT_BODY_MIN_RATE = 1024;
  public static final Duration DEFAULT_SEND_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_HELD_SLOT_TIMEOUT = Duration.ofSeconds(1);
  public static final ClientConfig DEFAULTS = new ClientConfig(Duration.ofSeconds(60), Duration.ofSeconds(60));

  public ClientConfig {
    java.util.Objects.requireNonNull(idleTimeout, "idleTimeout");
    java.util.Objects.requireNonNull(bodyTimeout, "bodyTimeout");
    Durations.requirePositive("sendTimeout", sendTimeout);
    Durations.requirePositive("heldSlotTimeout", heldSlotTimeout);
    if (bodyMinRate < 0) {
      throw new IllegalArgumentException("bodyMinRate: " + bodyMinRate + " (expected: >= 0)");
    }
    trustedProxies = List.copyOf(trustedProxies);
  }

  /** The two timeouts, everything else at its default. */
  public ClientConfig(Duration idleTimeout, Duration bodyTimeout) {
    this(idleTimeout, bodyTimeout, DEFAULT_BODY_MIN_RATE, DEFAULT_SEND_TIMEOUT, DEFAULT_HELD_SLOT_TIMEOUT, List.of());
  }

  public ClientConfig withTrustedProxies(List<Cidr> proxies) {
    return new ClientConfig(idleTimeout, bodyTimeout, bodyMinRate, sendTimeout, heldSlotTimeout, proxies);
  }

  /** Whether the peer at {@code ip} (a literal address; empty for a Unix-socket peer) is a trusted proxy. */
  public boolean trusts(String ip) {
    for (Cidr c : trustedProxies) {
      if (c.contains(ip)) {
        return true;
      }
    }
    return false;
  }
}
