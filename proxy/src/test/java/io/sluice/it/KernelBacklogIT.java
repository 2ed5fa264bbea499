package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static io.sluice.it.ScriptedBackend.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.admin.InvalidLimitsException;
import io.sluice.admin.Limits;
import io.sluice.config.Address;
import io.sluice.config.MaxOr;
import io.sluice.kernel.KernelQueue;
import io.sluice.status.Status;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel side: backlogs changed live on the listening socket, refusals, and the backend's own accept queue. */
class KernelBacklogIT {

  @TempDir
  Path dir;

  private static int somaxconn() throws Exception {
    return Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/core/somaxconn")).get(0).trim());
  }

  /** {@code ss -ltne} for one port: the listener's Send-Q (its backlog) and its socket inode. */
  private static long[] ss(int port) throws Exception {
    Process p = new ProcessBuilder("ss", "-ltneH", "sport = :" + port).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    Matcher m = Pattern.compile("LISTEN\\s+\\d+\\s+(\\d+)\\s+.*ino:(\\d+)").matcher(out);
    assertTrue(m.find(), "ss shows no listener on " + port + ":\n" + out);
    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
  }

  @Test
  void theBacklogChangesLiveOnTheSameSocketWithoutLosingARequest() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      return false;
    }); RunningProxy sluice = RunningProxy.start("--backend", b.address(), "--backlog", "128")) {
      long[] before = ss(sluice.port());
      assertEquals(128, before[0]);
      Vertx clients = Vertx.vertx();
      try {
        Future<Burst.Result> spike = Burst.fire(clients, new Address.Tcp("127.0.0.1", sluice.port()), "/", 1000,
            Duration.ofSeconds(60));
        Limits l = sluice.sluice().control().limits();
        sluice.sluice().control().apply(l.withBacklog(MaxOr.of(512)));
        long[] middle = ss(sluice.port());
        sluice.sluice().control().apply(l.withBacklog(MaxOr.MAX));
        long[] after = ss(sluice.port());
        Burst.Result r = spike.await(90, TimeUnit.SECONDS);

        assertEquals(512, middle[0]);
        assertEquals(somaxconn(), after[0]);
        assertEquals(before[1], middle[1], "the same socket (inode)");
        assertEquals(before[1], after[1], "the same socket (inode)");
        assertEquals(1000, r.count(200), "no request lost while the backlog changed: " + r);
        assertEquals(somaxconn(), sluice.sluice().backlogs().get(0));
      } finally {
        clients.close().await();
      }
    }
  }

  @Test
  void aBacklogAboveSomaxconnIsRefusedWithHowToRaiseIt() throws Exception {
    int somaxconn = somaxconn();
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> false);
         RunningProxy sluice = RunningProxy.start("--backend", b.address())) {
      Limits l = sluice.sluice().control().limits();
      InvalidLimitsException e = assertThrows(InvalidLimitsException.class,
          () -> sluice.sluice().control().apply(l.withBacklog(MaxOr.of(somaxconn + 1))));
      assertEquals(400, e.status());
      assertTrue(e.getMessage().contains("net.core.somaxconn (" + somaxconn + ")"), e.getMessage());
      assertTrue(e.getMessage().contains("sysctl -w net.core.somaxconn=" + (somaxconn + 1)), e.getMessage());
      assertEquals(l, sluice.sluice().control().limits(), "nothing changed");
      assertEquals(somaxconn, ss(sluice.port())[0]);
    }
  }

  @Test
  void aBackendsAcceptQueueIsVisibleWhileItIsFlooded() throws Exception {
    try (WsgiServer uwsgi = WsgiServer.uwsgiHttp(dir, 2, 100);
         RunningProxy sluice = RunningProxy.start("--backend", uwsgi.address(), "--limit", "40")) {
      Status.Backend idle = awaitSample(sluice, 0);
      KernelQueue.Known q = assertInstanceOf(KernelQueue.Known.class, idle.kernelQueue());
      assertEquals(100, q.max(), "the backend's queue maximum is uWSGI's --listen");
      Vertx clients = Vertx.vertx();
      try {
        Future<Burst.Result> spike = Burst.fire(clients, new Address.Tcp("127.0.0.1", sluice.port()), "/?ms=50", 300,
            Duration.ofSeconds(60));
        eventually(() -> {
          assertFalse(spike.isComplete(), "the spike ended before the sampler saw uWSGI's queue hold anything");
          KernelQueue k = sluice.sluice().control().status().backends().get(0).kernelQueue();
          return k instanceof KernelQueue.Known known && known.depth() > 0 ? null
              : "with 40 in flight and 2 workers, requests should wait in uWSGI's own queue: " + k;
        });
        assertEquals(300, spike.await(60, TimeUnit.SECONDS).count(200));
      } finally {
        clients.close().await();
      }
    }
  }

  /** The first status whose backend queue the sampler has read. */
  private static Status.Backend awaitSample(RunningProxy sluice, int backend) throws Exception {
    Status.Backend[] b = {null};
    eventually(() -> {
      b[0] = sluice.sluice().control().status().backends().get(backend);
      return b[0].kernelQueue() instanceof KernelQueue.Known ? null : "not sampled: " + b[0].kernelQueue();
    });
    return b[0];
  }
}
