package io.sluice.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;

/**
 * Waiting in the integration tests: poll a condition instead of sleeping for a guessed time. The default patience is
 * what a busy two-core CI machine needs, not what an idle laptop does; an assertion that fails inside a poll fails
 * the test at once, so invariants can be checked on every poll.
 */
final class Eventually {

  /** How long a condition may take to come true before the test fails. */
  static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final long POLL_MILLIS = 10;

  /** One look at the system: {@code null} when the condition holds, else what it looks like now. */
  @FunctionalInterface
  interface Poll {
    String notYet() throws Exception;
  }

  private Eventually() {
  }

  /** Polls until the condition holds; fails after {@link #PATIENCE} with the last answer. */
  static void eventually(Poll poll) throws Exception {
    eventually(PATIENCE, poll);
  }

  /** Polls until the condition holds; fails after {@code patience} with the last answer. */
  static void eventually(Duration patience, Poll poll) throws Exception {
    long deadline = System.nanoTime() + patience.toNanos();
    while (true) {
      String notYet = poll.notYet();
      if (notYet == null) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        fail("still not so after " + patience.toMillis() + " ms: " + notYet);
      }
      Thread.sleep(POLL_MILLIS);
    }
  }
}
