package io.sluice.buffer;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

final class BufferTestSupport {

  private BufferTestSupport() {
  }

  static Buffer randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return Buffer.buffer(b);
  }

  /** Runs {@code body} on an event loop and waits for it to complete the future it is given. */
  static <T> T onEventLoop(Vertx vertx, Consumer<CompletableFuture<T>> body) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    Context context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      try {
        body.accept(result);
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    });
    return result.get(30, TimeUnit.SECONDS);
  }
}
