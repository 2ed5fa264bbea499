package io.sluice.buffer;

import static io.sluice.buffer.BufferTestSupport.onEventLoop;
import static io.sluice.buffer.BufferTestSupport.randomBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BodyBufferTest {

  private final Vertx vertx = Vertx.vertx();

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
      BodyBuffer b = new BodyBuffer(vertx, dir, 4096);
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
      BodyBuffer b = new BodyBuffer(vertx, dir, 64 * 1024);
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
      BodyBuffer b = new BodyBuffer(vertx, missing, 4096);
      b.append(randomBytes(10_000, 3));
      b.end(ar -> done.complete(ar.cause()));
    });
    assertTrue(failure instanceof SpillException, String.valueOf(failure));
    assertTrue(failure.getMessage().contains(missing.toString()), failure.getMessage());
  }
}
