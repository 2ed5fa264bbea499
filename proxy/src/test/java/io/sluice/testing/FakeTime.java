package io.sluice.testing;

import io.sluice.queue.Scheduler;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongSupplier;

/** A clock and scheduler that move only when a test says so. */
public final class FakeTime implements LongSupplier, Scheduler {

  private record Task(long at, long seq, Runnable run) {
  }

  private final List<Task> tasks = new ArrayList<>();
  private long now = 1_000_000_000L;
  private long seq;

  @Override
  public long getAsLong() {
    return now;
  }

  @Override
  public void schedule(long delayNanos, Runnable task) {
    tasks.add(new Task(now + delayNanos, seq++, task));
  }

  /** Moves the clock forward, running every task that falls due on the way, in order. */
  public void advanceMillis(long millis) {
    long target = now + millis * 1_000_000L;
    while (true) {
      Task next = tasks.stream().filter(t -> t.at <= target)
          .min(Comparator.comparingLong(Task::at).thenComparingLong(Task::seq)).orElse(null);
      if (next == null) {
        break;
      }
      tasks.remove(next);
      now = Math.max(now, next.at);
      next.run.run();
    }
    now = target;
  }

  public int pendingTasks() {
    return tasks.size();
  }
}
