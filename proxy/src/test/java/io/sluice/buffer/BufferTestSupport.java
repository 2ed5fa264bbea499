package io.sluice.buffer;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

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

  /** Looks at {@code condition} on the context until it holds; fails after 30 s with what it says last. */
  static void awaitOn(Context context, Supplier<String> notYet) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      CompletableFuture<String> look = new CompletableFuture<>();
      context.runOnContext(v -> {
        try {
          look.complete(notYet.get());
        } catch (Throwable t) {
          look.completeExceptionally(t);
        }
      });
      String answer = look.get(30, TimeUnit.SECONDS);
      if (answer == null) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("still not so after 30 s: " + answer);
      }
      Thread.sleep(5);
    }
  }

  /** Bytes in the files this process has open in {@code dir}, unlinked ones included. */
  static long openFileBytes(Path dir) throws IOException {
    long total = 0;
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          if (Files.readSymbolicLink(fd).toString().startsWith(dir.toString() + "/")) {
            total += Files.size(fd);
          }
        } catch (IOException closedMeanwhile) {
          // A descriptor closed between the listing and the look holds nothing.
        }
      }
    }
    return total;
  }

  /** How many files this process has open in {@code dir}, unlinked ones included. */
  static int openFiles(Path dir) throws IOException {
    int n = 0;
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          if (Files.readSymbolicLink(fd).toString().startsWith(dir.toString() + "/")) {
            n++;
          }
        } catch (IOException closedMeanwhile) {
          // gone already
        }
      }
    }
    return n;
  }
}
