package io.sluice.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.ServerSocketChannel;
import org.junit.jupiter.api.Test;

class FdLimitsTest {

  private final FdLimits limits = FdLimits.system();

  @Test
  void limitsAreSane() throws Exception {
    FdLimit limit = limits.current();
    assertTrue(limit.soft() > 0, limit.toString());
    assertTrue(limit.soft() <= limit.hard(), limit.toString());
  }

  @Test
  void raisingTwiceRaisesAtMostOnce() throws Exception {
    limits.raiseSoftToHard(); // HotSpot (-XX:+MaxFDLimit) has usually done it already
    assertFalse(limits.raiseSoftToHard());
    FdLimit limit = limits.current();
    if (limit.hard() != FdLimit.UNLIMITED) {
      assertEquals(limit.hard(), limit.soft());
    }
  }

  @Test
  void countsOpenDescriptors() throws Exception {
    ServerSocketChannel.open().close(); // loads the classes, and whatever files that opens, beforehand
    int before = limits.openCount();
    try (ServerSocketChannel channel = ServerSocketChannel.open()) {
      assertEquals(before + 1, limits.openCount());
    }
    assertEquals(before, limits.openCount());
  }
}
