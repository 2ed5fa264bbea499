package io.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * One backend.
 *
 * @param name           unique among backends; used in the admin API and metrics
 * @param address        where it listens
 * @param protocol       what Sluice speaks to it
 * @param limit          most requests in flight inside it at once
 * @param bufferSize     uwsgi only: the backend's {@code --buffer-size}; a request whose variables exceed it is
 *                       answered 431 instead of being sent
 * @param connectTimeout longest wait for a connection; a TCP backend whose accept queue is full drops SYNs, so a
 *                       full queue shows up here rather than as an error
 * @param timeout        longest wait for the response to start, and between two reads of it
 * @param maxVars        uwsgi only: the backend's {@code --max-vars}; uWSGI drops a request with more than twice that
 *                       many variables, so Sluice answers it 431 instead of sending it
 */
public record BackendConfig(
    String name,
    Address address,
    Protocol protocol,
    LimitSetting limit,
    int bufferSize,
    Duration connectTimeout,
    Duration timeout,
    int maxVars) {

  public static final int DEFAULT_BUFFER_SIZE = 4096;
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  /** uWSGI's own default {@code --max-vars}. */
  public static final int DEFAULT_MAX_VARS = 64;

  public BackendConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(limit, "limit");
    Durations.requirePositive("connectTimeout", connectTimeout);
    Durations.requirePositive("timeout", timeout);
    if (bufferSize < 512 || bufferSize > 65535) {
      throw new IllegalArgumentException("bufferSize: " + bufferSize + " (expected: 512 to 65535)");
    }
    if (maxVars < 16 || maxVars > 65535) {
      throw new IllegalArgumentException("maxVars: " + maxVars + " (expected: 16 to 65535)");
    }
  }

  /** A backend with every optional setting at its default. */
  public static BackendConfig of(String name, Address address, Protocol protocol, LimitSetting limit) {
    return new BackendConfig(name, address, protocol, limit, DEFAULT_BUFFER_SIZE, DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_TIMEOUT, DEFAULT_MAX_VARS);
  }

  public BackendConfig withLimit(LimitSetting newLimit) {
    return new BackendConfig(name, address, protocol, newLimit, bufferSize, connectTimeout, timeout, maxVars);
  }
}
