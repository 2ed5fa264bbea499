package io.sluice.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.metrics.PrometheusText;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request bodies cannot take the heap: the packaged Sluice in a JVM of 256 MiB, and 1,200 clients that each send 262 KB
 * of a larger body and then hold. Without a budget for bodies in memory this killed the process (OutOfMemoryError),
 * and every request queued in it with it.
 */
class HeapBudgetIT {

  private static final int CLIENTS = 1200;
  private static final int SENT = 262_000;
  private static final long DISK = 32L << 20;

  @TempDir
  Path dir;

  /** One client holding a partial body, and what Sluice answered it so far. */
  private static final class Holder {
    final SocketChannel channel;
    final StringBuilder answer = new StringBuilder();

    Holder(SocketChannel channel) {
      this.channel = channel;
    }

    void readWhatCame() throws IOException {
      ByteBuffer buf = ByteBuffer.allocate(4096);
      int n;
      while ((n = channel.read(buf)) > 0) {
        answer.append(new String(buf.array(), 0, n, StandardCharsets.ISO_8859_1));
        buf.clear();
      }
    }

    boolean refused() {
      return answer.indexOf("\r\n\r\n") > 0 && answer.toString().startsWith("HTTP/1.1 503 ");
    }
  }

  @Test
  void partialBodiesPastTheBudgetGet503AndTheProcessStaysUp() throws Exception {
    Path tempDir = Files.createDirectory(dir.resolve("tmp"));
    Path config = dir.resolve("sluice.yaml");
    Files.writeString(config, "buffers:\n  tempDir: " + tempDir + "\n  disk: 32MiB\n");
    try (PackagedSluice sluice = PackagedSluice.start(dir,
        List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"), "--config", config.toString())) {
      byte[] head = ("POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: 300000\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII);
      byte[] body = new byte[SENT];
      Arrays.fill(body, (byte) 'b');
      List<Holder> holders = new ArrayList<>();
      try {
        for (int i = 0; i < CLIENTS; i++) {
          SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("front.sock")));
          writeAll(ch, head);
          writeAll(ch, body);
          ch.configureBlocking(false);
          holders.add(new Holder(ch));
          assertTrue(sluice.alive(), () -> "Sluice exited after " + holders.size() + " clients:\n" + log(sluice));
        }

        // Settled: every head arrived, each client refused was told so, and what is buffered is exactly the bodies
        // of the others (bytes on their way to a file are counted twice until written).
        JsonObject[] status = new JsonObject[1];
        int[] refused = new int[1];
        await(sluice, () -> {
          refused[0] = 0;
          for (Holder h : holders) {
            try {
              h.readWhatCame();
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
            refused[0] += h.refused() ? 1 : 0;
          }
          status[0] = status(sluice);
          JsonObject buffers = status[0].getJsonObject("buffers");
          long held = buffers.getLong("memory") + buffers.getLong("disk");
          long received = status[0].getJsonObject("totals").getLong("received");
          long full = status[0].getJsonObject("totals").getLong("buffersFull");
          return received == CLIENTS && full == refused[0] && held == (long) (CLIENTS - refused[0]) * SENT ? null
              : received + " heads, " + full + " refused (" + refused[0] + " told), " + held + " bytes held";
        });

        PackagedSluice.Response get = sluice.front("/");
        assertEquals(200, get.status(), get.head());
        assertEquals("ok\n", get.body());

        JsonObject buffers = status[0].getJsonObject("buffers");
        int held = CLIENTS - refused[0];
        assertTrue(refused[0] > 0, "bodies past the budget are refused");
        assertTrue(held * (long) SENT > buffers.getLong("memoryBudget"), held + " bodies held: memory, then disk");
        assertTrue(buffers.getLong("memory") <= buffers.getLong("memoryBudget"), buffers.encode());
        assertTrue(buffers.getLong("disk") > 0 && buffers.getLong("disk") <= DISK, buffers.encode());
        for (Holder h : holders) {
          if (h.refused()) {
            assertTrue(h.answer.toString().toLowerCase(Locale.ROOT).contains("\r\nretry-after: "), h.answer.toString());
          } else {
            assertEquals("", h.answer.toString(), "a body held is still being received");
          }
        }
        assertTrue(sluice.alive());
        assertFalse(sluice.log().contains("OutOfMemoryError"), sluice.log());
        PrometheusText metrics = PrometheusText.parse(sluice.admin("/metrics").body());
        System.out.printf(Locale.ROOT, "%d partial bodies: %d held (%.1f MiB in memory, %.1f MiB on disk), %d refused"
                + " with 503; heap %.1f MiB used of %.1f MiB%n", CLIENTS, held,
            buffers.getLong("memory") / 1048576.0, buffers.getLong("disk") / 1048576.0, refused[0],
            heap(metrics, "jvm_memory_used_bytes") / 1048576.0, heap(metrics, "jvm_memory_max_bytes") / 1048576.0);
      } finally {
        for (Holder h : holders) {
          h.channel.close();
        }
      }
      await(sluice, () -> {
        JsonObject b = status(sluice).getJsonObject("buffers");
        return b.getLong("memory") == 0 && b.getLong("disk") == 0 ? null : "still buffered: " + b.encode();
      });
    }
  }

  private static double heap(PrometheusText metrics, String name) {
    double sum = 0;
    for (PrometheusText.Sample s : metrics.samples()) {
      if (s.name().equals(name) && "heap".equals(s.labels().get("area")) && s.value() > 0) {
        sum += s.value();
      }
    }
    return sum;
  }

  private static JsonObject status(PackagedSluice sluice) {
    try {
      PackagedSluice.Response r = sluice.admin("/api/v1/status");
      assertEquals(200, r.status(), r.head());
      return new JsonObject(r.body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String log(PackagedSluice sluice) {
    try {
      return sluice.log();
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static void writeAll(SocketChannel ch, byte[] bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
  }

  /** Polls until {@code notYet} says nothing; fails after 30 s, or at once if Sluice exits. */
  private static void await(PackagedSluice sluice, Supplier<String> notYet) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      if (!sluice.alive()) {
        fail("Sluice exited:\n" + log(sluice));
      }
      String answer = notYet.get();
      if (answer == null) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        fail("still not so after 30 s: " + answer);
      }
      Thread.sleep(50);
    }
  }
}
