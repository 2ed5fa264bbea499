package io.sluice.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.sluice.limit.Decision;
import io.sluice.limit.Reason;
import io.sluice.queue.LaneSnapshot;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code limit: auto} in front of real uWSGI and gunicorn of every common shape — prefork, threaded, async — with
 * health checks and timeouts mixed in. How fast it converges and how close it comes to the best fixed limit are
 * benchmark claims ({@code bench/run.sh --only auto}); these tests assert the outcomes that must hold on any machine:
 * every request of a spike served, and the limit where the backend's shape puts it, not pinned low by a cheap
 * request or a timeout, nor stuck low in front of a backend that takes hundreds at once.
 */
class AutoLimitIT {

  private static Vertx clients;

  @TempDir
  Path dir;

  @BeforeAll
  static void startClients() {
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stopClients() {
    clients.close().await();
  }

  private static Burst.Result spike(RunningProxy sluice, String path, int n) throws Exception {
    return Burst.fire(clients, new Address.Tcp("127.0.0.1", sluice.port()), path, n, Duration.ofSeconds(120))
        .await(180, TimeUnit.SECONDS);
  }

  private static LaneSnapshot backend(RunningProxy sluice) {
    return sluice.sluice().dispatcher().snapshot().backends().get(0);
  }

  @Test
  void aPreforkBackendGetsItsWorkersAndAFewMore() throws Exception {
    try (WsgiServer uwsgi = WsgiServer.uwsgiProtocol(dir, 4, 100);
        RunningProxy sluice = RunningProxy.start("--backend", uwsgi.address(), "--protocol", "uwsgi")) {
      Burst.Result r = spike(sluice, "/?ms=20", 1500);
      assertEquals(1500, r.count(200), r.toString());
      LaneSnapshot b = backend(sluice);
      assertTrue(b.limit() >= 4 && b.limit() <= 12, "4 workers, limit " + b.limit() + ", last " + b.lastDecision());
      assertNotNull(b.lastDecision(), "it moved from where it started");
    }
  }

  @Test
  void aCheapHealthCheckDoesNotPinTheLimitOfACostlyApp() throws Exception {
    try (WsgiServer uwsgi = WsgiServer.uwsgiProtocol(dir, 8, 100);
        RunningProxy sluice = RunningProxy.start("--backend", uwsgi.address(), "--protocol", "uwsgi")) {
      // Ten cheap requests a second (a load balancer's probe is one) while a spike of costly ones drains.
      List<Future<Burst.Result>> checks = new CopyOnWriteArrayList<>();
      long timer = clients.setPeriodic(100, id -> checks.add(Burst.fire(clients,
          new Address.Tcp("127.0.0.1", sluice.port()), "/", 1, Duration.ofSeconds(120))));
      Burst.Result r;
      try {
        r = spike(sluice, "/?ms=50", 1200);
      } finally {
        clients.cancelTimer(timer);
      }
      assertEquals(1200, r.count(200), r.toString());
      for (Future<Burst.Result> c : checks) {
        assertEquals(1, c.await(120, TimeUnit.SECONDS).count(200));
      }
      assertTrue(checks.size() > 20, "the checks ran through the spike: " + checks.size());
      LaneSnapshot b = backend(sluice);
      assertTrue(b.limit() >= 8, "8 workers of 50 ms each, limit " + b.limit() + ", last " + b.lastDecision());
    }
  }

  @Test
  void timeoutsDoNotCutTheLimit() throws Exception {
    try (WsgiServer uwsgi = WsgiServer.uwsgiProtocol(dir, 8, 100)) {
      Path config = dir.resolve("sluice.yaml");
      Files.writeString(config, "backends:\n  - address: " + uwsgi.address() + "\n    protocol: uwsgi\n"
          + "    timeout: 1s\n");
      try (RunningProxy sluice = RunningProxy.start("--config", config.toString())) {
        Future<Burst.Result> load = Burst.fire(clients, new Address.Tcp("127.0.0.1", sluice.port()), "/?ms=20",
            2000, Duration.ofSeconds(120));
        Burst.Result slow = spike(sluice, "/?ms=2000", 3);
        assertEquals(3, slow.count(504), "three requests past the backend's timeout: " + slow);
        Burst.Result r = load.await(180, TimeUnit.SECONDS);
        assertEquals(2000, r.count(200), r.toString());
        LaneSnapshot b = backend(sluice);
        assertTrue(b.limit() >= 8, "8 workers, limit " + b.limit() + " after three timeouts; last "
            + b.lastDecision());
        Decision last = b.lastDecision();
        assertTrue(last == null || last.reason() != Reason.TIMEOUTS, "timeouts that came with no step up: " + last);
      }
    }
  }

  @Test
  void aThreadedBackendGetsItsThreads() throws Exception {
    try (WsgiServer gunicorn = WsgiServer.gunicorn(dir, 2, 2048, "--threads", "4");
        RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address())) {
      Burst.Result r = spike(sluice, "/?ms=10", 2000);
      assertEquals(2000, r.count(200), r.toString());
      LaneSnapshot b = backend(sluice);
      assertTrue(b.limit() >= 8, "2 workers x 4 threads, limit " + b.limit() + ", last " + b.lastDecision());
    }
  }

  @Test
  void anAsyncBackendIsLetTakeHundredsAtOnce() throws Exception {
    try (WsgiServer gunicorn = WsgiServer.gunicorn(dir, 2, 2048, "-k", "gevent", "--worker-connections", "100");
        RunningProxy sluice = RunningProxy.start("--backend", gunicorn.address())) {
      Burst.Result r = spike(sluice, "/?ms=50", 3000);
      assertEquals(3000, r.count(200), r.toString());
      LaneSnapshot b = backend(sluice);
      List<String> seen = new ArrayList<>();
      seen.add("limit " + b.limit() + ", last " + b.lastDecision());
      assertTrue(b.limit() >= 32, "2 gevent workers x 100 connections, 50 ms of I/O each: " + seen);
    }
  }
}
