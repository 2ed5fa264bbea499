package io.sluice.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FifoLineTest {

  private static final long SECOND = 1_000_000_000L;

  private final FifoLine line = new FifoLine(3, 10 * SECOND);

  private static Waiter waiter(long enqueuedAt) {
    Waiter w = new Waiter(new RecordingTicket("w" + enqueuedAt));
    w.enqueuedAt = enqueuedAt;
    return w;
  }

  private static List<Waiter> chain(Waiter first) {
    List<Waiter> out = new ArrayList<>();
    for (Waiter w = first; w != null; w = w.next) {
      out.add(w);
    }
    return out;
  }

  @Test
  void servesInArrivalOrderAndARetryFirst() {
    Waiter a = waiter(1);
    Waiter b = waiter(2);
    Waiter retried = waiter(0);
    line.add(a);
    line.add(b);
    line.putBack(retried);
    assertSame(retried, line.next(5));
    assertSame(a, line.next(5));
    assertSame(b, line.next(5));
    assertNull(line.next(5));
    assertTrue(line.isEmpty());
  }

  @Test
  void admitsUpToItsBoundAndCountsItsPeak() {
    for (int i = 0; i < 3; i++) {
      assertNull(line.admit(0));
      line.add(waiter(i));
    }
    assertEquals(Rejection.QUEUE_FULL, line.admit(0));
    line.next(0);
    assertNull(line.admit(0));
    assertEquals(2, line.depth());
    assertEquals(3, line.peak());
  }

  @Test
  void expiresFromTheOldestAndSaysWhenTheNextExpires() {
    Waiter a = waiter(0);
    Waiter b = waiter(4 * SECOND);
    line.add(a);
    line.add(b);
    assertEquals(10 * SECOND, line.nextExpiry());
    assertEquals(3 * SECOND, line.oldestWait(3 * SECOND));
    assertNull(line.expire(10 * SECOND - 1));
    assertEquals(List.of(a), chain(line.expire(10 * SECOND)));
    assertEquals(14 * SECOND, line.nextExpiry());
    line.setTimeoutNanos(SECOND);
    assertEquals(List.of(b), chain(line.expire(10 * SECOND)));
    assertEquals(0, line.depth());
  }

  @Test
  void removesFromAnywhereAndEmptiesWhole() {
    Waiter a = waiter(1);
    Waiter b = waiter(2);
    Waiter c = waiter(3);
    line.add(a);
    line.add(b);
    line.add(c);
    line.remove(b);
    assertFalse(b.waiting);
    assertEquals(List.of(a, c), chain(line.removeAll()));
    assertTrue(line.isEmpty());
    assertEquals(0, line.depth());
  }

  @Test
  void refusesABoundOrTimeoutThatCannotWork() {
    assertEquals("maxDepth: 0 (expected: >= 1)",
        assertThrows(IllegalArgumentException.class, () -> line.setMaxDepth(0)).getMessage());
    assertEquals("timeout: 0ns (expected: > 0)",
        assertThrows(IllegalArgumentException.class, () -> line.setTimeoutNanos(0)).getMessage());
  }
}
