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
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {

  private static final int PIECE = 16 * 1024;

  private final Vertx vertx = Vertx.vertx();
  private final BufferBudget plenty = new BufferBudget(1L << 30, 1L << 40);

  @TempDir
  Path dir;

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** A backend that writes while the spool takes, and waits for its drain when it does not. */
  private static final class Producer {
    final Spool spool;
    final Buffer data;
    final BufferBudget budget;
    int offset;
    boolean waiting;
    long mostOnDisk;
    long mostInMemory;

    Producer(Spool spool, Buffer data, BufferBudget budget) {
      this.spool = spool;
      this.data = data;
      this.budget = budget;
    }

    void run() {
      waiting = false;
      while (offset < data.length()) {
        if (spool.writeQueueFull()) {
          waiting = true;
          spool.drainHandler(v -> run());
          return;
        }
        spool.write(data.slice(offset, Math.min(data.length(), offset + PIECE)));
        offset += PIECE;
        mostOnDisk = Math.max(mostOnDisk, budget.diskUsed());
        mostInMemory = Math.max(mostInMemory, spool.memoryBytes());
      }
      spool.end();
    }
  }

  @Test
  void aFastProducerAndASlowConsumerKeepOrderThroughTheFile() throws Exception {
    Buffer data = randomBytes(5 * 1024 * 1024, 4);
    List<Object> out = onEventLoop(vertx, done -> {
      Spool spool = new Spool(vertx, dir, plenty, 16 * 1024, 1L << 30);
      SlowStream client = new SlowStream(vertx, 32 * 1024);
      spool.pipeTo(client, ar -> done.complete(List.of(ar.succeeded(), spool.spilled(), client.received)));
      for (int i = 0; i < data.length(); i += 10_000) {
        spool.write(data.slice(i, Math.min(data.length(), i + 10_000)));
      }
      spool.end();
    });
    assertTrue((Boolean) out.get(0));
    assertTrue((Boolean) out.get(1));
    assertArrayEquals(data.getBytes(), ((Buffer) out.get(2)).getBytes());
    assertEquals(0, plenty.diskUsed());
    assertEquals(0, plenty.memoryUsed());
  }

  @Test
  void aProducerThatTricklesIsInterleavedCorrectlyAsFilesComeAndGo() throws Exception {
    Buffer data = randomBytes(2 * 1024 * 1024, 5);
    List<Object> out = onEventLoop(vertx, done -> {
      Spool spool = new Spool(vertx, dir, plenty, 8 * 1024, 1L << 30);
      SlowStream client = new SlowStream(vertx, 20_000);
      spool.pipeTo(client, ar -> done.complete(List.of(ar.succeeded(), client.received)));
      int[] offset = {0};
      // Bursts of 100 kB every few milliseconds: a file fills, is read to its end and closed, another starts.
      vertx.setPeriodic(2, id -> {
        int end = Math.min(data.length(), offset[0] + 100_000);
        for (int i = offset[0]; i < end; i += 3000) {
          spool.write(data.slice(i, Math.min(end, i + 3000)));
        }
        offset[0] = end;
        if (end == data.length()) {
          vertx.cancelTimer(id);
          spool.end();
        }
      });
    });
    assertTrue((Boolean) out.get(0));
    assertArrayEquals(data.getBytes(), ((Buffer) out.get(1)).getBytes());
  }

  @Test
  void aFastConsumerNeverTouchesTheDisk() throws Exception {
    Buffer data = randomBytes(1024 * 1024, 6);
    List<Object> out = onEventLoop(vertx, done -> {
      Spool spool = new Spool(vertx, dir, plenty, 16 * 1024, 1L << 30);
      SlowStream client = new SlowStream(vertx, Integer.MAX_VALUE);
      spool.pipeTo(client, ar -> done.complete(List.of(spool.spilled(), client.received)));
      for (int i = 0; i < data.length(); i += 4096) {
        spool.write(data.slice(i, i + 4096));
      }
      spool.end();
    });
    assertFalse((Boolean) out.get(0));
    assertArrayEquals(data.getBytes(), ((Buffer) out.get(1)).getBytes());
  }

  @Test
  void theProducerIsAskedToPauseWhenTheSpoolsFilesHoldTheirShare() throws Exception {
    Boolean full = onEventLoop(vertx, done -> {
      Spool spool = new Spool(vertx, dir, plenty, 4096, 64 * 1024);
      boolean[] wasFull = {false};
      spool.pipeTo(new SlowStream(vertx, 1), ar -> done.complete(wasFull[0]));
      for (int i = 0; i < 40; i++) {
        spool.write(randomBytes(4096, i));
      }
      wasFull[0] = spool.writeQueueFull();
      spool.end();
    });
    assertTrue(full);
  }

  @Test
  void aFileIsClosedOnceReadAndTheDiskCountIsWhatTheFilesHold() throws Exception {
    int size = 10 * 1024 * 1024;
    Buffer data = randomBytes(size, 7);
    Context context = vertx.getOrCreateContext();
    GateStream client = new GateStream();
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    Spool[] spool = new Spool[1];
    context.runOnContext(v -> {
      spool[0] = new Spool(vertx, dir, plenty, PIECE, 1L << 30);
      spool[0].pipeTo(client, ar -> done.complete(ar.succeeded()));
      for (int i = 0; i < size; i += PIECE) {
        spool[0].write(data.slice(i, i + PIECE));
      }
    });
    // The first piece in memory; the rest in three files of 4, 4 and 2 MiB once every write is done.
    awaitOn(context, () -> plenty.memoryUsed() == PIECE ? null : plenty.memoryUsed() + " bytes in memory");
    assertEquals(size - PIECE, plenty.diskUsed());
    assertEquals(3, openFiles(dir));
    assertEquals(plenty.diskUsed(), openFileBytes(dir));

    context.runOnContext(v -> client.allow(PIECE + Spool.SEGMENT_BYTES));
    awaitOn(context, () -> client.received.length() == PIECE + Spool.SEGMENT_BYTES ? null
        : client.received.length() + " bytes read");
    assertEquals(size - PIECE - Spool.SEGMENT_BYTES, plenty.diskUsed(), "the first file, read, went");
    BufferTestSupport.awaitOn(context, () -> {
      try {
        return openFiles(dir) == 2 && openFileBytes(dir) == plenty.diskUsed() ? null
            : openFiles(dir) + " files, " + openFileBytes(dir) + " bytes";
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });

    context.runOnContext(v -> {
      spool[0].end();
      client.allow(size);
    });
    assertTrue(done.get(30, TimeUnit.SECONDS));
    assertArrayEquals(data.getBytes(), client.received.getBytes());
    assertEquals(0, plenty.diskUsed());
    assertEquals(0, plenty.memoryUsed());
    awaitOn(context, () -> {
      try {
        return openFiles(dir) == 0 ? null : openFiles(dir) + " files open";
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void pastTheDiskBudgetTheProducerGoesAtTheConsumersSpeed() throws Exception {
    BufferBudget budget = new BufferBudget(1 << 20, 256 * 1024);
    Buffer data = randomBytes(2 * 1024 * 1024, 8);
    Context context = vertx.getOrCreateContext();
    GateStream client = new GateStream();
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    Producer[] producer = new Producer[1];
    context.runOnContext(v -> {
      Spool spool = new Spool(vertx, dir, budget, PIECE, 1L << 30);
      spool.pipeTo(client, ar -> done.complete(ar.succeeded()));
      producer[0] = new Producer(spool, data, budget);
      producer[0].run();
    });
    // A piece in memory, 256 KiB on disk, one more piece taken past the budget, and the producer waits.
    awaitOn(context, () -> producer[0].waiting && budget.diskUsed() == 256 * 1024
        && producer[0].spool.memoryBytes() == 2 * PIECE ? null
        : "waiting " + producer[0].waiting + ", disk " + budget.diskUsed() + ", memory "
            + producer[0].spool.memoryBytes());
    assertEquals(PIECE + 256 * 1024 + PIECE, producer[0].offset);
    assertTrue(producer[0].spool.writeQueueFull());

    context.runOnContext(v -> client.allow(Long.MAX_VALUE / 2));
    assertTrue(done.get(30, TimeUnit.SECONDS));
    assertArrayEquals(data.getBytes(), client.received.getBytes());
    assertTrue(producer[0].mostOnDisk <= 256 * 1024, producer[0].mostOnDisk + " bytes on disk at most");
    assertTrue(producer[0].mostInMemory <= 2 * PIECE, producer[0].mostInMemory + " bytes in memory at most");
    assertEquals(0, budget.diskUsed());
    assertEquals(0, budget.memoryUsed());
  }

  @Test
  void pastTheMemoryBudgetTheFirstBytesGoToAFile() throws Exception {
    BufferBudget budget = new BufferBudget(0, 1 << 20);
    Buffer data = randomBytes(100, 9);
    List<Object> out = onEventLoop(vertx, done -> {
      Spool spool = new Spool(vertx, dir, budget, PIECE, 1L << 30);
      SlowStream client = new SlowStream(vertx, 1);
      spool.pipeTo(client, ar -> done.complete(List.of(spool.spilled(), client.received)));
      spool.write(data);
      spool.end();
    });
    assertTrue((Boolean) out.get(0));
    assertArrayEquals(data.getBytes(), ((Buffer) out.get(1)).getBytes());
  }

  @Test
  void aDiscardedSpoolGivesItsMemoryAndFilesBack() throws Exception {
    Context context = vertx.getOrCreateContext();
    Spool[] spool = new Spool[1];
    context.runOnContext(v -> {
      spool[0] = new Spool(vertx, dir, plenty, PIECE, 1L << 30);
      spool[0].pipeTo(new GateStream(), ar -> { });
      for (int i = 0; i < 64; i++) {
        spool[0].write(randomBytes(PIECE, i));
      }
    });
    awaitOn(context, () -> plenty.memoryUsed() == PIECE && plenty.diskUsed() == 63 * PIECE ? null
        : plenty.memoryUsed() + " in memory, " + plenty.diskUsed() + " on disk");
    context.runOnContext(v -> spool[0].discard());
    awaitOn(context, () -> {
      try {
        return plenty.memoryUsed() == 0 && plenty.diskUsed() == 0 && openFiles(dir) == 0 ? null
            : plenty.memoryUsed() + " in memory, " + plenty.diskUsed() + " on disk, " + openFiles(dir) + " files";
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }
}
