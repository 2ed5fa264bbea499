package io.sluice.queue;

import io.sluice.limit.Decision;

/**
 * One backend at one instant.
 *
 * @param paused       in connect backoff
 * @param lastDecision the limit's last move, or {@code null}
 */
public record LaneSnapshot(int inflight, int limit, String setting, boolean paused, Decision lastDecision) {
}
