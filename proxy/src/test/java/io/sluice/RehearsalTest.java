package io.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RehearsalTest {

  @Test
  void everyRequestOfTheRehearsalIsAnsweredThroughSluiceOverBothProtocolsAndTheAdminApi() throws Exception {
    // The class archive holds what this run loads: a request that failed would leave its path out of it.
    assertEquals(2 * Rehearsal.REQUESTS + Rehearsal.ADMIN_PATHS.size(), Rehearsal.run());
  }
}
