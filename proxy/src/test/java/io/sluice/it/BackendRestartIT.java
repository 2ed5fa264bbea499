package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.sluice.server.RequestOutcome;
import io.sluice.status.Status;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend killed in the middle of a spike and started again: real uWSGI speaking its binary protocol (2 processes,
 * listen 100), killed with SIGKILL (every process at once, as the OOM killer would) while 4,000 one-shot GETs are
 * queued and in flight, and started again 2 s later. The requests it was working on, and those in its accept queue,
 * are dropped unanswered; Sluice sends each of them again, and every client gets its 200.
 */
class BackendRestartIT {

  private static final int SPIKE = 4000;
  private static final Duration DOWN = Duration.ofSeconds(2);

  @TempDir
  Path dir;
  private WsgiServer uwsgi;
  private RunningProxy sluice;
  private Vertx clients;

  @AfterEach
  void stop() throws Exception {
    if (clients != null) {
      clients.close().await();
    }
    if (sluice != null) {
      sluice.close();
    }
    if (uwsgi != null) {
      uwsgi.close();
    }
  }

  @Test
  void everyGetOfASpikeIsAnsweredWhenTheBackendIsKilledAndRestartedInTheMiddle() throws Exception {
    uwsgi = WsgiServer.uwsgiProtocol(dir, 2, 100);
    // Generous: on a loaded two-core machine the spike alone may take a minute.
    sluice = RunningProxy.start("--backend", uwsgi.address(), "--protocol", "uwsgi", "--queue-timeout", "5m");
    clients = Vertx.vertx();

    Future<Burst.Result> spike = Burst.fire(clients, new Address.Tcp("127.0.0.1", sluice.port()), "/?ms=5", SPIKE,
        Duration.ofMinutes(6));
    eventually(Duration.ofMinutes(2), () -> {
      long served = sluice.sluice().stats().count(RequestOutcome.SERVED);
      int waiting = sluice.sluice().dispatcher().depth();
      return served >= SPIKE / 8 && waiting > 0 ? null : served + " served, " + waiting + " waiting";
    });
    long servedBefore = sluice.sluice().stats().count(RequestOutcome.SERVED);

    uwsgi.kill();
    long killedAt = System.nanoTime();
    // Down for 2 s: meanwhile nothing is served, and nobody is answered with an error.
    eventually(() -> System.nanoTime() - killedAt >= DOWN.toNanos() ? null : "down for less than " + DOWN);
    assertTrue(sluice.sluice().stats().count(RequestOutcome.SERVED) - servedBefore < SPIKE,
        "still mid-spike when the backend comes back");
    uwsgi = uwsgi.startAgain();

    Burst.Result result = spike.await(6, TimeUnit.MINUTES);
    assertEquals(SPIKE, result.count(200), "every GET answered 200: " + result);
    assertEquals(0, result.failed(), result.toString());
    Status.Backend backend = sluice.sluice().control().status().backends().get(0);
    Map<String, Long> retries = backend.retries();
    assertTrue(retries.get("reset_before_response") + retries.get("closed_before_response") > 0,
        "the requests the killed backend held were sent again: " + retries);
    assertEquals(0, sluice.sluice().stats().count(RequestOutcome.BACKEND_ERROR));
  }
}
