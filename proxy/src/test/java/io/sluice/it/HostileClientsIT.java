package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.sluice.net.Sockets;
import io.sluice.server.RequestOutcome;
import io.sluice.status.Status;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of hostile or broken client at once — heads that trickle in, bodies that trickle in, clients that ask
 * for a large response and read nothing — beside ordinary traffic: the ordinary requests are all served, what Sluice
 * buffers stays within its budgets, and each hostile connection is closed by its own timeout. (How much the ordinary
 * requests' latency suffers is a benchmark figure: {@code bench/run.sh --only hostile}.)
 */
class HostileClientsIT {

  private static final long MIB = 1024 * 1024;
  private static final int TRICKLING_HEADS = 200;
  private static final int TRICKLING_BODIES = 200;
  private static final int NEVER_READING = 6;
  private static final int ORDINARY = 300;

  @TempDir
  Path dir;

  @Test
  void hostileClientsNeitherStarveOrdinaryOnesNorExhaustTheBudgets() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (WsgiServer uwsgi = WsgiServer.uwsgiHttp(dir, 2, 100)) {
      Path config = config(uwsgi, """
          backends:
            - address: %s
          buffers:
            tempDir: %s
            memoryTotal: 16MiB
            disk: 64MiB
          clients:
            idleTimeout: 2s
            bodyTimeout: 2s
            bodyMinRate: 1KiB
            sendTimeout: 2s
          """);
      try (RunningProxy sluice = RunningProxy.start("--config", config.toString())) {
        Address front = new Address.Tcp("127.0.0.1", sluice.port());
        NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(30_000));
        AtomicLong peakMemory = new AtomicLong();
        AtomicLong peakDisk = new AtomicLong();
        long sampler = vertx.setPeriodic(50, id -> {
          Status.Buffers b = sluice.sluice().control().status().buffers();
          peakMemory.accumulateAndGet(b.memory(), Math::max);
          peakDisk.accumulateAndGet(b.disk(), Math::max);
        });

        List<Future<String>> hostile = new ArrayList<>();
        for (int i = 0; i < TRICKLING_HEADS; i++) {
          hostile.add(trickle(vertx, client, front, "GET / HTTP/1.1\r\nHost: localhost\r\n", "X"));
        }
        for (int i = 0; i < TRICKLING_BODIES; i++) {
          hostile.add(trickle(vertx, client, front, "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
              + 262_144 + "\r\n\r\n" + "b".repeat(2000), "b"));
        }
        AtomicInteger bytesRead = new AtomicInteger();
        List<NetSocket> neverReading = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int i = 0; i < NEVER_READING; i++) {
          hostile.add(neverRead(client, front, bytesRead, neverReading));
        }

        Burst.Result ordinary = Burst.fire(vertx, front, "/?ms=5", ORDINARY, Duration.ofSeconds(60))
            .await(120, TimeUnit.SECONDS);
        assertEquals(ORDINARY, ordinary.count(200), "ordinary requests beside the hostile ones: " + ordinary);

        // A client that reads nothing does not see the close either: once Sluice counts them gone, read again.
        eventually(() -> sluice.sluice().stats().count(RequestOutcome.CLIENT_GONE) >= NEVER_READING ? null
            : sluice.sluice().stats().count(RequestOutcome.CLIENT_GONE) + " clients gone");
        readAgain(neverReading);
        List<String> ends = new ArrayList<>();
        eventually(Duration.ofSeconds(60), () -> {
          long open = hostile.stream().filter(h -> !h.isComplete()).count();
          return open == 0 ? null : open + " hostile connections still open; first at "
              + hostile.indexOf(hostile.stream().filter(h -> !h.isComplete()).findFirst().orElseThrow());
        });
        for (Future<String> h : hostile) {
          ends.add(h.result());
        }
        vertx.cancelTimer(sampler);
        assertEquals(TRICKLING_HEADS + TRICKLING_BODIES + NEVER_READING,
            ends.stream().filter(e -> e.startsWith("closed")).count(), "every hostile client was let go: " + ends);
        assertTrue(ends.stream().filter(e -> e.contains("408")).count() >= TRICKLING_BODIES,
            "trickling bodies get 408: " + ends);
        assertTrue(peakMemory.get() <= 16 * MIB + MIB, "memory buffered at most " + peakMemory.get());
        assertTrue(peakDisk.get() <= 64 * MIB + MIB, "disk buffered at most " + peakDisk.get());
        eventuallyNothingBuffered(sluice);
        client.close();
      }
    } finally {
      vertx.close().await();
    }
  }

  /**
   * Clients that ask for a response too large to spool and read none of it hold the backend's workers: while other
   * requests wait, each is let go after the held-slot timeout (1 s), not the send timeout (60 s), and the ordinary
   * requests are served well within the send timeout.
   */
  @Test
  void clientsThatReadNothingGiveTheirSlotsBackWhileOthersWait() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (WsgiServer uwsgi = WsgiServer.uwsgiHttp(dir, 2, 100)) {
      Path config = config(uwsgi, """
          backends:
            - address: %s
              limit: 2
          buffers:
            tempDir: %s
            disk: 8MiB
          clients:
            sendTimeout: 60s
          """);
      try (RunningProxy sluice = RunningProxy.start("--config", config.toString())) {
        Address front = new Address.Tcp("127.0.0.1", sluice.port());
        NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(30_000));
        AtomicInteger bytesRead = new AtomicInteger();
        List<NetSocket> neverReading = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Future<String>> hostile = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          hostile.add(neverRead(client, front, bytesRead, neverReading));
        }
        eventually(() -> {
          Status s = sluice.sluice().control().status();
          return s.backends().get(0).inflight() == 2 && s.buffers().disk() > 0 ? null
              : "the never-readers hold both slots: " + s.backends().get(0) + " " + s.buffers();
        });
        long start = System.nanoTime();
        // Each takes 200 ms, so requests still wait when the second never-reader's held-slot timeout ends, however
        // much later than the first's its spool filled.
        Burst.Result ordinary = Burst.fire(vertx, front, "/?ms=200", 20, Duration.ofSeconds(30))
            .await(60, TimeUnit.SECONDS);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(20, ordinary.count(200), "served beside clients that read nothing: " + ordinary);
        assertTrue(tookMs < 30_000, "served in " + tookMs + " ms, not after the 60 s send timeout");
        eventually(() -> sluice.sluice().stats().count(RequestOutcome.CLIENT_GONE) == 2 ? null
            : sluice.sluice().stats().count(RequestOutcome.CLIENT_GONE) + " of the 2 never-readers let go");
        readAgain(neverReading);
        eventually(() -> hostile.stream().allMatch(Future::isComplete) ? null : "never-readers still open");
        eventuallyNothingBuffered(sluice);
        client.close();
      }
    } finally {
      vertx.close().await();
    }
  }

  /** A configuration file: {@code template} with the backend's address and a fresh temp directory filled in. */
  private Path config(WsgiServer uwsgi, String template) throws java.io.IOException {
    Path tmp = Files.createDirectory(dir.resolve("spool"));
    return Files.writeString(dir.resolve("sluice.yaml"), template.formatted(uwsgi.address(), tmp));
  }

  /** The never-readers read again, so that they see the close Sluice sent them. */
  private static void readAgain(List<NetSocket> neverReading) {
    List<NetSocket> reading = List.copyOf(neverReading);
    neverReading.clear();
    reading.forEach(NetSocket::resume);
  }

  private static void eventuallyNothingBuffered(RunningProxy sluice) throws Exception {
    eventually(() -> {
      Status.Buffers b = sluice.sluice().control().status().buffers();
      return b.memory() == 0 && b.disk() == 0 ? null : "still buffered: " + b;
    });
  }

  /**
   * Sends {@code start}, then one byte of {@code drip} every 300 ms, until Sluice closes the connection; completes
   * with {@code closed} and the start of what Sluice answered.
   */
  private static Future<String> trickle(Vertx vertx, NetClient client, Address to, String start, String drip) {
    return client.connect(Sockets.connectAddress(to)).compose(socket -> {
      Promise<String> ended = Promise.promise();
      Buffer received = Buffer.buffer();
      long timer = vertx.setPeriodic(300, id -> socket.write(drip));
      socket.handler(received::appendBuffer);
      socket.exceptionHandler(e -> { });
      socket.closeHandler(v -> {
        vertx.cancelTimer(timer);
        ended.complete("closed " + received.getString(0, Math.min(12, received.length())));
      });
      socket.write(start);
      return ended.future();
    });
  }

  /** Asks for 200 MB and reads only the first bytes; completes with {@code closed} when Sluice lets go. */
  private static Future<String> neverRead(NetClient client, Address to, AtomicInteger bytesRead,
      List<NetSocket> paused) {
    return client.connect(Sockets.connectAddress(to)).compose(socket -> {
      Promise<String> ended = Promise.promise();
      paused.add(socket);
      socket.handler(b -> {
        bytesRead.addAndGet(b.length());
        if (paused.contains(socket)) {
          socket.pause();
        }
      });
      socket.exceptionHandler(e -> { });
      socket.closeHandler(v -> ended.complete("closed after " + bytesRead.get() + " bytes read by all"));
      socket.write("GET /big?n=200000000 HTTP/1.1\r\nHost: localhost\r\n\r\n");
      return ended.future();
    });
  }
}
