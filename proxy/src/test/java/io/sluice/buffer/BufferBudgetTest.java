package io.sluice.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BufferBudgetTest {

  @Test
  void memoryIsReservedWithinTheLimitAndGivenBack() {
    BufferBudget budget = new BufferBudget(1000, 0);
    assertTrue(budget.tryMemory(600));
    assertFalse(budget.tryMemory(401), "past the limit: refused, nothing taken");
    assertEquals(600, budget.memoryUsed());
    assertTrue(budget.tryMemory(400));
    assertTrue(budget.memoryFull());
    budget.releaseMemory(1000);
    assertEquals(0, budget.memoryUsed());
    assertFalse(budget.memoryFull());
  }

  @Test
  void bytesThatExistAlreadyAreChargedPastTheLimit() {
    BufferBudget budget = new BufferBudget(100, 0);
    budget.forceMemory(150);
    assertEquals(150, budget.memoryUsed(), "the count says what is held, even past the budget");
    assertFalse(budget.tryMemory(1));
  }

  @Test
  void diskIsReservedWithinTheLimit() {
    BufferBudget budget = new BufferBudget(0, 10);
    assertTrue(budget.diskHasRoom(10));
    assertTrue(budget.tryDisk(7));
    assertFalse(budget.diskHasRoom(4));
    assertFalse(budget.tryDisk(4));
    budget.releaseDisk(7);
    assertEquals(0, budget.diskUsed());
  }

  @Test
  void aBodyCouldBeHeldInMemoryThenOnDisk() {
    BufferBudget budget = new BufferBudget(1000, 500);
    assertTrue(budget.couldHold(1500, 1000), "1000 in memory, 500 on disk");
    assertFalse(budget.couldHold(1500, 800), "its memory share is 800: 700 would go to disk");
    assertTrue(budget.tryMemory(900));
    assertTrue(budget.couldHold(600, 1000), "100 in memory, 500 on disk");
    assertFalse(budget.couldHold(601, 1000));
    assertTrue(budget.couldHold(-1, 1000), "a body of unknown length needs some room");
    assertTrue(budget.tryDisk(500));
    assertTrue(budget.couldHold(-1, 1000));
    assertTrue(budget.tryMemory(100));
    assertFalse(budget.couldHold(-1, 1000), "no room anywhere");
    assertFalse(budget.couldHold(1, 1000));
  }

  @Test
  void loopsReservingAtOnceNeverTakeMoreThanTheLimit() throws Exception {
    BufferBudget budget = new BufferBudget(1_000_000, 0);
    AtomicLong granted = new AtomicLong();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread thread = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 100_000; i++) {
          if (budget.tryMemory(7)) {
            granted.addAndGet(7);
          }
        }
      });
      thread.start();
      threads.add(thread);
    }
    go.countDown();
    for (Thread thread : threads) {
      thread.join();
    }
    assertEquals(granted.get(), budget.memoryUsed());
    assertTrue(granted.get() <= 1_000_000 && granted.get() > 1_000_000 - 7, String.valueOf(granted.get()));
  }
}
