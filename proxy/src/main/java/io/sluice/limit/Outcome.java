package io.sluice.limit;

/** How an exchange ended, for the purpose of teaching a {@link Limit}. */
public enum Outcome {
  /** The backend answered: the round-trip time is a valid sample. */
  SUCCESS,
  /** The backend could not take the request (full queue, timeout): a sign of overload. */
  DROPPED,
  /** The exchange says nothing about the backend (client gone, request never sent): no sample. */
  IGNORED
}
