package io.sluice.limit;

/**
 * The right to have one request inside one backend. Granted by the dispatcher; whoever holds it releases it exactly
 * once, on every path. Further calls to {@link #release} or {@link #retryLater} are ignored, so a race between two
 * paths (response end and client gone, say) cannot release it twice. May be called from any thread.
 */
public interface Permit {

  /** Index of the backend this permit is for, in configuration order. */
  int backend();

  /** Records that the connection to the backend was established: resets the backend's connect backoff. */
  void connected();

  /** Gives the slot back and reports how the exchange ended. */
  void release(Outcome outcome);

  /**
   * Gives the slot back because the backend never received the request (its queue was full, or it is restarting), or
   * never answered it (it dropped the connection before any byte of a response to an idempotent request):
   * the backend is paused for a short, growing backoff and the request goes back to the head of the queue, keeping
   * its original deadline.
   *
   * @param busy {@code true} when the backend's queue was full (EAGAIN), {@code false} when it was not listening
   */
  void retryLater(boolean busy);
}
