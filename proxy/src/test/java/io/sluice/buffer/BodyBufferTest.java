package io.sluice.buffer;

import static io.sluice.buffer.BufferTestSupport.awaitOn;
import static io.sluice.buffer.BufferTestSupport.onEventLoop;
import static io.sluice.buffer.BufferTestSupport.openFileBytes;
import static io.sluice.buffer.BufferTestSupport.openFiles;
import static io.sluice.buffer.BufferTestSupport.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BodyBufferTest {

  private final Vertx vertx = Vertx.vertx();
  private final BufferBudget plenty = new BufferBudget(1L << 30, 1L << 40);

  @TempDir
  Path dir;

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void aSmallBodyStaysInMemory() throws Exception {
    Buffer body = randomBytes(3000, 1);
    List<Object> out = onEventLoop(vertx, done -> {
      BodyBuffer b = new BodyBuffer(vertx, dir, plenty, 4096);
      b.append(body.slice(0, 1000));
      b.append(body.slice(1000, 3000));
      b.end(ar -> {
        SlowStream s = new SlowStream(vertx, 1 << 20);
        b.writeTo(s, w -> done.complete(List.of(b.spilled(), b.length(), s.received)));
      });
    });
    assertFalse((Boolean) out.get(0));
    assertEquals(3000L, out.get(1));
    assertArrayEquals(body.getBytes(), ((Buffer) out.get(2)).getBytes());
  }

  @Test
  void aLargeBodySpillsToAnUnlinkedFileAndCanBeWrittenTwice() throws Exception {
    Buffer body = randomBytes(3 * 1024 * 1024 + 17, 2);
    List<Object> out = onEventLoop(vertx, done -> {
      BodyBuffer b = new BodyBuffer(vertx, dir, plenty, 64 * 1024);
      for (int i = 0; i < body.length(); i += 8191) {
        b.append(body.slice(i, Math.min(body.length(), i + 8191)));
      }
      b.end(ar -> {
        try (Stream<Path> files = Files.list(dir)) {
          long left = files.count();
          SlowStream first = new SlowStream(vertx, 100_000);
          b.writeTo(first, w1 -> {
            SlowStream second = new SlowStream(vertx, 1 << 30);
            b.writeTo(second, w2 -> {
              b.discard();
              done.complete(List.of(b.spilled(), left, first.received, second.received));
            });
          });
        } catch (Exception e) {
          done.completeExceptionally(e);
        }
      });
    });
    assertTrue((Boolean) out.get(0));
    assertEquals(0L, out.get(1), "the spill file is unlinked once open");
    assertArrayEquals(body.getBytes(), ((Buffer) out.get(2)).getBytes());
    assertArrayEquals(body.getBytes(), ((Buffer) out.get(3)).getBytes());
  }

  @Test
  void anUnwritableDirectoryFailsTheEnd() throws Exception {
    Path missing = dir.resolve("missing");
    Throwable failure = onEventLoop(vertx, done -> {
      BodyBuffer b = new BodyBuffer(vertx, missing, plenty, 4096);
      b.append(randomBytes(10_000, 3));
      b.end(ar -> done.complete(ar.cause()));
    });
    assertTrue(failure instanceof SpillException, String.valueOf(failure));
    assertTrue(failure.getMessage().contains(missing.toString()), failure.getMessage());
  }

  @Test
  void pastTheMemoryBudgetABodyGoesToAFileAtOnce() throws Exception {
    BufferBudget budget = new BufferBudget(8192, 1 << 20);
    Buffer second = randomBytes(1000, 4);
    List<Object> out = onEventLoop(vertx, done -> {
      BodyBuffer first = new BodyBuffer(vertx, dir, budget, 64 * 1024);
      first.append(randomBytes(8192, 5));
      BodyBuffer b = new BodyBuffer(vertx, dir, budget, 64 * 1024);
      b.append(second);
      b.end(ar -> {
        SlowStream s = new SlowStream(vertx, 1 << 20);
        long disk = budget.diskUsed();
        b.writeTo(s, w -> {
          first.discard();
          b.discard();
          done.complete(List.of(first.spilled(), b.spilled(), disk, s.received));
        });
      });
    });
    assertFalse((Boolean) out.get(0), "the first body had the budget's memory");
    assertTrue((Boolean) out.get(1), "the second went to a file although its own share was free");
    assertEquals(1000L, out.get(2));
    assertArrayEquals(second.getBytes(), ((Buffer) out.get(3)).getBytes());
    assertEquals(0, budget.memoryUsed());
    assertEquals(0, budget.diskUsed());
  }

  @Test
  void pastTheDiskBudgetAPieceIsRefused() throws Exception {
    BufferBudget budget = new BufferBudget(4096, 8192);
    List<Object> out = onEventLoop(vertx, done -> {
      BodyBuffer b = new BodyBuffer(vertx, dir, budget, 4096);
      boolean inMemory = b.append(randomBytes(4096, 6));
      boolean onDisk = b.append(randomBytes(8192, 7));
      boolean past = b.append(randomBytes(1, 8));
      long length = b.length();
      // Discarded once its file is written, so that no file operation outlives the test's Vert.x.
      b.end(ar -> {
        b.discard();
        done.complete(List.of(inMemory, onDisk, past, length));
      });
    });
    assertEquals(List.of(true, true, false, 12288L), out);
    assertEquals(0, budget.memoryUsed());
    assertEquals(0, budget.diskUsed());
  }

  @Test
  void theDiskCountIsWhatTheFileHoldsUntilTheBodyIsDiscarded() throws Exception {
    Context context = vertx.getOrCreateContext();
    BodyBuffer[] body = new BodyBuffer[1];
    CompletableFuture<Void> ended = new CompletableFuture<>();
    context.runOnContext(v -> {
      body[0] = new BodyBuffer(vertx, dir, plenty, 4096);
      for (int i = 0; i < 256; i++) {
        body[0].append(randomBytes(4096, i));
      }
      body[0].end(ar -> ended.complete(null));
    });
    ended.get(30, TimeUnit.SECONDS);
    assertEquals(256 * 4096 - 4096, plenty.diskUsed(), "the first piece in memory, the rest on disk");
    assertEquals(plenty.diskUsed(), openFileBytes(dir));
    assertEquals(4096, plenty.memoryUsed());

    context.runOnContext(v -> body[0].discard());
    awaitOn(context, () -> {
      try {
        return plenty.diskUsed() == 0 && plenty.memoryUsed() == 0 && openFiles(dir) == 0 ? null
            : plenty.diskUsed() + " on disk, " + openFiles(dir) + " files";
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }
}
