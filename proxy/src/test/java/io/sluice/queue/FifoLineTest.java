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

  @Test
  void aFreedSlotGoesToTheFirstRequestOfTheSameLoopButNobodyIsOvertakenMoreThanABoundedNumberOfTimes() {
    FifoLine big = new FifoLine(1000, 10 * SECOND);
    Object loopA = new Object();
    Object loopB = new Object();
    Waiter first = new Waiter(new RecordingTicket("b0"), loopB);
    big.add(first);
    List<Waiter> as = new ArrayList<>();
    for (int i = 0; i < FifoLine.MAX_OVERTAKEN + 2; i++) {
      Waiter a = new Waiter(new RecordingTicket("a" + i), loopA);
      as.add(a);
      big.add(a);
    }

    for (int i = 0; i < FifoLine.MAX_OVERTAKEN; i++) {
      assertSame(as.get(i), big.nextFor(0, loopA), "overtaking " + i);
    }
    assertSame(first, big.nextFor(0, loopA), "overtaken enough: its turn, whatever its loop");
    assertSame(as.get(FifoLine.MAX_OVERTAKEN), big.nextFor(0, loopB), "nobody of loop B left: the front");
    assertSame(as.get(FifoLine.MAX_OVERTAKEN + 1), big.next(0));
  }

  @Test
  void aRequestOfTheSameLoopIsLookedForOnlyNearTheFront() {
    FifoLine big = new FifoLine(1000, 10 * SECOND);
    Object loopA = new Object();
    Object loopB = new Object();
    List<Waiter> bs = new ArrayList<>();
    for (int i = 0; i < FifoLine.AFFINITY_SCAN; i++) {
      Waiter b = new Waiter(new RecordingTicket("b" + i), loopB);
      bs.add(b);
      big.add(b);
    }
    big.add(new Waiter(new RecordingTicket("a"), loopA));
    assertSame(bs.get(0), big.nextFor(0, loopA));
    assertEquals(0, bs.get(1).overtaken);
  }

  @Test
  void theAdaptiveLinePrefersTheSameLoopToo() {
    AdaptiveLine adaptive = new AdaptiveLine(1000, 10 * SECOND, SECOND / 2);
    Object loopA = new Object();
    Object loopB = new Object();
    Waiter b = new Waiter(new RecordingTicket("b"), loopB);
    Waiter a = new Waiter(new RecordingTicket("a"), loopA);
    adaptive.add(b);
    adaptive.add(a);
    assertSame(a, adaptive.nextFor(0, loopA));
    assertSame(b, adaptive.nextFor(0, loopA));
  }
}
