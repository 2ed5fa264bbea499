package io.sluice.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sluice in front of real uWSGI speaking HTTP on a Unix socket ({@code --http-socket}), 2 processes, listen 100. */
class UwsgiHttpIT {

  private static final int SPIKE = 3000;

  @TempDir
  static Path dir;
  private static WsgiServer uwsgi;
  private static Vertx clients;

  @BeforeAll
  static void startBackend() throws Exception {
    uwsgi = WsgiServer.uwsgiHttp(dir, 2, 100);
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stopBackend() throws Exception {
    if (clients != null) {
      clients.close().await();
    }
    if (uwsgi != null) {
      uwsgi.close();
    }
  }

  private static Burst.Result spike(Address target, String path, int connections) throws Exception {
    return Burst.fire(clients, target, path, connections, Duration.ofSeconds(120)).await(180, TimeUnit.SECONDS);
  }

  @Test
  void aSpikeThatTheBackendAloneRefusesIsServedWholeThroughSluice() throws Exception {
    Burst.Result direct = spike(new Address.Unix(uwsgi.socket()), "/?ms=5", SPIKE);
    assertTrue(direct.failed() > 0, "straight at uWSGI (listen 100) some connects must fail: " + direct);

    try (RunningProxy sluice = RunningProxy.start("--backend", uwsgi.address())) {
      Burst.Result through = spike(new Address.Tcp("127.0.0.1", sluice.port()), "/?ms=5", SPIKE);
      assertEquals(SPIKE, through.count(200), "through Sluice every request is answered 200: " + through);
    }
  }

  @Test
  void bodiesBothWaysArriveIntact() throws Exception {
    try (RunningProxy sluice = RunningProxy.start("--backend", uwsgi.address())) {
      byte[] five = Http.random(5 * 1024 * 1024, 7);
      HttpResponse<String> r = Http.post(sluice.uri("/echo"), five);
      assertEquals(200, r.statusCode());
      assertTrue(r.body().contains(Http.sha256(five)), r.body());

      HttpResponse<byte[]> big = Http.get(sluice.uri("/big?n=" + 8 * 1024 * 1024));
      assertArrayEquals(Http.pattern(8 * 1024 * 1024), big.body());
      HttpResponse<byte[]> streamed = Http.get(sluice.uri("/stream?chunks=10&size=5000&ms=10"));
      assertArrayEquals(Http.pattern(50_000), streamed.body());
    }
  }
}
