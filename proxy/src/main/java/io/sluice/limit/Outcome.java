package io.sluice.limit;

/** How an exchange with a backend ended, for the purpose of teaching a {@link Limit}. */
public enum Outcome {
  /** The backend answered: the round trip is a valid sample. */
  SUCCESS,
  /**
   * The backend could not take the request because it was full: its accept queue overflowed (EAGAIN on a Unix
   * socket, a connect that timed out on TCP). The one drop that is evidence of overload by itself.
   */
  OVERLOAD,
  /**
   * The backend took the request and did not answer within its timeout. Not by itself evidence of overload (one slow
   * endpoint, one stuck worker); an adaptive limit weighs it only against load.
   */
  TIMEOUT,
  /** The exchange says nothing about the backend's capacity (client gone, request never sent, backend error). */
  IGNORED
}
