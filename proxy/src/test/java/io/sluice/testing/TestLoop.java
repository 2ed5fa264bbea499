package io.sluice.testing;

import io.sluice.backend.Loop;
import io.vertx.core.Handler;
import java.util.ArrayList;
import java.util.List;

/**
 * The test's thread as the event loop. While {@link #offLoop} is set, callers count as other threads: what they hand
 * the loop waits until {@link #runTasks}.
 */
public final class TestLoop implements Loop {

  public boolean offLoop;
  private final List<Handler<Void>> tasks = new ArrayList<>();

  @Override
  public boolean inLoop() {
    return !offLoop;
  }

  @Override
  public void execute(Handler<Void> task) {
    tasks.add(task);
  }

  /** Runs what was handed to the loop, in order, as the loop itself. */
  public void runTasks() {
    offLoop = false;
    while (!tasks.isEmpty()) {
      tasks.remove(0).handle(null);
    }
  }

  public int pendingTasks() {
    return tasks.size();
  }
}
