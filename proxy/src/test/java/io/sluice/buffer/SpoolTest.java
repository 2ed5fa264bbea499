package io.sluice.buffer;

import static io.sluice.buffer.BufferTestSupport.onEventLoop;
import static io.sluice.buffer.BufferTestSupport.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {

  private final Vertx vertx = Vertx.vertx();

  @TempDir
  Path dir;

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void aFastProducerAndASlowConsumerKeepOrderThroughTheFile() throws Exception {
    Buffer data = randomBytes(5 * 1024 * 1024, 4);
    List<Object> out = onEventLoop(vertx, done -> {
      Spool spool = new Spool(vertx, dir, 16 * 1024, 1L << 30);
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
  }

  @Test
  void aProducerThatTricklesIsInterleavedCorrectlyWithFileReuse() throws Exception {
    Buffer data = randomBytes(2 * 1024 * 1024, 5);
    List<Object> out = onEventLoop(vertx, done -> {
      Spool spool = new Spool(vertx, dir, 8 * 1024, 1L << 30);
      SlowStream client = new SlowStream(vertx, 20_000);
      spool.pipeTo(client, ar -> done.complete(List.of(ar.succeeded(), client.received)));
      int[] offset = {0};
      // Bursts of 100 kB every few milliseconds: the file fills, drains, is rewound, fills again.
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
      Spool spool = new Spool(vertx, dir, 16 * 1024, 1L << 30);
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
  void theProducerIsAskedToPauseWhenTheFileIsAtItsLimit() throws Exception {
    Boolean full = onEventLoop(vertx, done -> {
      Spool spool = new Spool(vertx, dir, 4096, 64 * 1024);
      spool.pipeTo(new SlowStream(vertx, 1), ar -> { });
      for (int i = 0; i < 40; i++) {
        spool.write(randomBytes(4096, i));
      }
      done.complete(spool.writeQueueFull());
      spool.discard();
    });
    assertTrue(full);
  }
}
