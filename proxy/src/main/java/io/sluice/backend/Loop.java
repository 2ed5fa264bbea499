package io.sluice.backend;

import io.vertx.core.Context;
import io.vertx.core.Handler;

/**
 * The event loop a call is confined to: where the dispatcher's verdicts, decided on any thread, are moved. Tests run
 * everything on their own thread.
 */
public interface Loop {

  /** Whether the caller is on this loop. */
  boolean inLoop();

  /** Runs {@code task} on this loop, later. */
  void execute(Handler<Void> task);

  /** The loop of {@code context}; call it on that context's thread. */
  static Loop of(Context context) {
    Thread thread = Thread.currentThread();
    return new Loop() {
      @Override
      public boolean inLoop() {
        return Thread.currentThread() == thread;
      }

      @Override
      public void execute(Handler<Void> task) {
        context.runOnContext(task);
      }
    };
  }
}
