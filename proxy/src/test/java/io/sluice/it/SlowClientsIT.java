package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static io.sluice.it.ScriptedBackend.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.server.RequestOutcome;
import io.sluice.status.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clients that read slowly or not at all: what Sluice buffers for them stays within its budget and is let go. */
class SlowClientsIT {

  private static final long MIB = 1024 * 1024;
  private static final long BIG = 300_000_000L;

  @TempDir
  Path dir;

  /** Bytes of the files Sluice (this process) has open under {@code tempDir}, unlinked ones included. */
  private static long spoolBytes(Path tempDir) throws IOException {
    long total = 0;
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          if (Files.readSymbolicLink(fd).toString().startsWith(tempDir + "/")) {
            total += Files.size(fd);
          }
        } catch (IOException closedMeanwhile) {
          // A descriptor closed between the listing and the look holds nothing.
        }
      }
    }
    return total;
  }

  /** Answers {@code /big} with 300 MB written as fast as Sluice takes them, anything else with {@code ok}. */
  private static boolean bigOrOk(ScriptedBackend.Request r, OutputStream out) throws Exception {
    if (!r.target().equals("/big")) {
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      return true;
    }
    write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + BIG + "\r\n\r\n");
    byte[] block = new byte[64 * 1024];
    for (long sent = 0; sent < BIG; sent += block.length) {
      out.write(block, 0, (int) Math.min(block.length, BIG - sent));
    }
    return false;
  }

  @Test
  void clientsThatNeverReadStayWithinTheDiskBudgetAndAreClosedAfterTheSendTimeout() throws Exception {
    Path tempDir = Files.createDirectory(dir.resolve("tmp"));
    Path config = dir.resolve("sluice.yaml");
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), SlowClientsIT::bigOrOk)) {
      Files.writeString(config, "backends:\n  - address: " + b.address() + "\n    limit: 8\n"
          + "buffers:\n  tempDir: " + tempDir + "\n  disk: 200MiB\n"
          + "clients:\n  sendTimeout: 2s\n");
      try (RunningProxy sluice = RunningProxy.start("--config", config.toString())) {
        List<Socket> readers = new ArrayList<>();
        AtomicLong peak = new AtomicLong();
        long started = System.nanoTime();
        try {
          for (int i = 0; i < 3; i++) {
            Socket s = new Socket();
            s.setReceiveBufferSize(4096);
            s.connect(new InetSocketAddress("127.0.0.1", sluice.port()));
            s.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            readers.add(s);
          }
          // Every look checks the bound: what is on disk, and what the budget counts, never past 200 MiB.
          Eventually.Poll withinBudget = () -> {
            long onDisk = spoolBytes(tempDir);
            Status.Buffers counted = sluice.sluice().control().status().buffers();
            peak.accumulateAndGet(Math.max(onDisk, counted.disk()), Math::max);
            assertTrue(onDisk <= 200 * MIB, onDisk + " bytes of temporary files");
            assertTrue(counted.disk() <= 200 * MIB, counted.disk() + " bytes counted on disk");
            assertEquals(200 * MIB, counted.diskBudget());
            return null;
          };
          eventually(() -> {
            withinBudget.notYet();
            return b.seen.size() >= 3 && peak.get() > 0 ? null : b.seen.size() + " requests at the backend, "
                + peak.get() + " bytes spooled";
          });
          assertEquals(200, Http.get(sluice.uri("/")).statusCode(), "a request meanwhile is served");
          eventually(() -> {
            withinBudget.notYet();
            long onDisk = spoolBytes(tempDir);
            long gone = sluice.sluice().stats().count(RequestOutcome.CLIENT_GONE);
            return onDisk == 0 && gone == 3 ? null : onDisk + " bytes still spooled, " + gone + " clients closed";
          });
          long cleanupMs = (System.nanoTime() - started) / 1_000_000;
          assertEquals(0, sluice.sluice().control().status().buffers().disk());
          for (Socket s : readers) {
            assertTrue(closedByServer(s), "the client was closed");
          }
          assertEquals(200, Http.get(sluice.uri("/")).statusCode());
          System.out.printf(Locale.ROOT, "three clients that never read: peak %.1f MiB of temporary files,"
              + " all gone %d ms after the requests were sent%n", peak.get() / (double) MIB, cleanupMs);
        } finally {
          for (Socket s : readers) {
            s.close();
          }
        }
      }
    }
  }

  /** Reads what the socket holds until its end: true when the server closed it (end of stream or reset). */
  private static boolean closedByServer(Socket s) throws IOException {
    s.setSoTimeout(10_000);
    InputStream in = s.getInputStream();
    byte[] buf = new byte[64 * 1024];
    try {
      while (in.read(buf) >= 0) {
        // what was sent before the close
      }
      return true;
    } catch (java.net.SocketTimeoutException stillOpen) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  @Test
  void anHttp10ClientGetsAResponseOfUnknownLengthAsItComesThenTheClose() throws Exception {
    byte[] first = Http.pattern(100_000);
    byte[] rest = Http.random(900_000, 11);
    CountDownLatch firstSeen = new CountDownLatch(1);
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      writeChunk(out, first);
      out.flush();
      // The rest only once the client has the first part: a response buffered whole would never get there.
      assertTrue(firstSeen.await(30, TimeUnit.SECONDS), "the first part reached the client");
      writeChunk(out, rest);
      write(out, "0\r\n\r\n");
      return false;
    }); RunningProxy sluice = RunningProxy.start("--backend", b.address());
         Socket s = new Socket("127.0.0.1", sluice.port())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write("GET /stream HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        got.write(buf, 0, n);
        if (firstSeen.getCount() > 0 && bodyOf(got.toByteArray()).length >= first.length) {
          firstSeen.countDown();
        }
      }
      byte[] raw = got.toByteArray();
      String head = headOf(raw).toLowerCase(Locale.ROOT);
      assertTrue(head.startsWith("http/1.0 200") || head.startsWith("http/1.1 200"), head);
      assertFalse(head.contains("content-length"), head);
      assertFalse(head.contains("transfer-encoding"), head);
      assertTrue(head.contains("\r\nconnection: close"), head);
      byte[] expected = new byte[first.length + rest.length];
      System.arraycopy(first, 0, expected, 0, first.length);
      System.arraycopy(rest, 0, expected, first.length, rest.length);
      assertArrayEquals(expected, bodyOf(raw), "the whole body, ended by the close");
      assertEquals(1, sluice.sluice().stats().count(RequestOutcome.SERVED));
    }
  }

  private static void writeChunk(OutputStream out, byte[] data) throws IOException {
    write(out, Integer.toHexString(data.length) + "\r\n");
    out.write(data);
    write(out, "\r\n");
  }

  private static String headOf(byte[] raw) {
    String text = new String(raw, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    return end < 0 ? text : text.substring(0, end);
  }

  private static byte[] bodyOf(byte[] raw) {
    String text = new String(raw, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      return new byte[0];
    }
    byte[] body = new byte[raw.length - end - 4];
    System.arraycopy(raw, end + 4, body, 0, body.length);
    return body;
  }
}
