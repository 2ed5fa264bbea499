package io.sluice.admin;

import io.sluice.status.Status;
import io.vertx.core.Future;

/**
 * What the admin API sees of a running Sluice and may change. Implemented by the runtime; thread-safe.
 */
public interface Control {

  /** The limits in force. */
  Limits limits();

  /**
   * Replaces the limits: every change takes effect, or none does. Blocking (a backlog change calls
   * {@code listen(2)}): call it on a worker thread, never an event loop.
   *
   * @return the limits now in force
   * @throws InvalidLimitsException naming the field and what is accepted (400), or an unknown backend (404)
   */
  Limits apply(Limits next) throws InvalidLimitsException;

  /** A consistent picture of listeners, queue, backends and totals. Cheap enough for an event loop. */
  Status status();

  /** Completes with {@code true} when at least one backend accepts a connection now. */
  Future<Boolean> ready();
}
