package io.sluice.queue;

/**
 * Who waits for a backend, in what order they are served, and when they give up: the queue discipline. The dispatcher
 * holds one line and calls it under its lock, so implementations need no locking of their own; {@link #depth},
 * {@link #peak}, {@link #maxDepth}, {@link #timeoutNanos}, {@link #targetNanos}, {@link #overloaded} and
 * {@link #modeSince} are also read without the lock, for status and metrics.
 *
 * <p>A line is a deque of {@link Waiter}s. Newcomers join at the back ({@link #add}) once {@link #admit} let them; a
 * request whose connect failed goes back to the front ({@link #putBack}), keeping its arrival time. The discipline
 * chooses which end {@link #next} serves: a FIFO line the front; an adaptive line the back while it is overloaded.
 * Expiry is always from the oldest, so one timer aimed at {@link #nextExpiry} serves the whole line however long it
 * is; a discipline may shorten the wait it allows (under overload), and the dispatcher re-aims its timer when
 * {@link #nextExpiry} moves earlier.
 *
 * <p>Every operation is O(1), except {@link #expire}, {@link #removeAll} and {@link #takeOver}, which are O(k) for the
 * k they move.
 */
public interface WaitingLine {

  /**
   * Whether a newcomer may join now: {@code null} if so, else why not (it is answered 503 at once). Called once for
   * every request that cannot start at once, so a line may count arrivals here.
   */
  Rejection admit(long nowNanos);

  /** A newcomer joins, its arrival time already set by the dispatcher. */
  void add(Waiter w);

  /** A request the dispatcher granted, whose connect failed, goes back to be served first. */
  void putBack(Waiter w);

  /** Takes out the request to serve next, or returns {@code null} when none waits. */
  Waiter next(long nowNanos);

  /**
   * Takes out the request to serve in a slot that a request of {@code home} just freed. A line may prefer a request of
   * the same home (the same event loop), which can reuse the connection to the backend that just became idle there
   * instead of opening another, so long as nobody is overtaken more than a few times. By default: {@link #next}.
   */
  default Waiter nextFor(long nowNanos, Object home) {
    return next(nowNanos);
  }

  /** Takes out a waiting request (its client went away). */
  void remove(Waiter w);

  /** Takes out the requests that have waited as long as the line allows, chained through their {@code next}. */
  Waiter expire(long nowNanos);

  /** Takes out every waiting request, oldest first, chained through their {@code next}. */
  Waiter removeAll();

  /** Takes every waiter of {@code previous}, in its order, and its peak: for a change of discipline. */
  void takeOver(WaitingLine previous);

  boolean isEmpty();

  /** When the oldest waiting request reaches the wait the line allows now; only while not {@link #isEmpty}. */
  long nextExpiry();

  /** How long the oldest waiting request has waited; 0 when none waits. */
  long oldestWait(long nowNanos);

  /** Requests waiting now. */
  int depth();

  /** The most that ever waited at once. */
  int peak();

  /** The bound on newcomers. Requests already waiting stay, even above a lower bound. */
  int maxDepth();

  void setMaxDepth(int maxDepth);

  /** The longest wait; it applies to requests already waiting too. */
  long timeoutNanos();

  void setTimeoutNanos(long timeoutNanos);

  /** The wait an adaptive line holds under sustained overload; kept, and unused, by a FIFO line. */
  long targetNanos();

  void setTargetNanos(long targetNanos);

  /** {@code fifo} or {@code adaptive}. */
  String discipline();

  /** Whether the line is in sustained overload now. */
  default boolean overloaded() {
    return false;
  }

  /** When {@link #overloaded} last changed, on the dispatcher's clock; the line's creation before any change. */
  long modeSince();
}
