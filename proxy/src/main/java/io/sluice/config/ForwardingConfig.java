package io.sluice.config;

/**
 * What Sluice adds to the requests it forwards, beyond the {@code X-Forwarded-*} and {@code Forwarded} headers.
 *
 * @param requestStart stamp {@code X-Request-Start: t=<Unix seconds>.<milliseconds>} (nginx's {@code t=${msec}}),
 *                     the moment Sluice accepted the request, so the app's monitoring sees the time it waited
 */
public record ForwardingConfig(boolean requestStart) {

  public static final ForwardingConfig DEFAULTS = new ForwardingConfig(true);
}
