package io.sluice.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.kernel.KernelQueue;
import io.sluice.limit.Reason;
import io.sluice.status.Status;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PrometheusMetricsTest {

  private final PrometheusMetrics metrics = new PrometheusMetrics();
  private final AtomicInteger depth = new AtomicInteger();
  private final AtomicInteger calls = new AtomicInteger();
  private volatile List<Status.LimitChange> changes = List.of();
  private volatile Map<String, Long> retries = Map.of("stale_connection", 0L, "reset_before_response", 0L);

  @AfterEach
  void close() {
    metrics.close();
  }

  private Status status() {
    calls.incrementAndGet();
    Map<String, Long> outcomes = new LinkedHashMap<>();
    outcomes.put("served", 40L);
    outcomes.put("queue_full", 2L);
    return new Status(
        List.of(new Status.Listener("127.0.0.1:8080", "max", 4096, 4096, new KernelQueue.Known(1, 3, 4096)),
            new Status.Listener("unix:/run/s.sock", "100", 100, 4096, new KernelQueue.Unknown("not sampled yet"))),
        new Status.Queue(depth.get(), 9, "max", 19000, 60000, 1500, 12.5),
        List.of(new Status.Backend("app", "unix:/run/app.sock", "uwsgi", "auto", 3, 2, true,
            new KernelQueue.Known(2, 5, 100), null, changes, new Status.Connections(2, 0),
            retries)),
        new Status.Totals(50, outcomes), new Status.Fds(1024, 4096, 30),
        new Status.Buffers(1234, 5678, 1 << 20, 1 << 30));
  }

  private PrometheusText scrape() throws Exception {
    MetricsSource.Scrape s = metrics.scrape(null);
    assertEquals(PrometheusMetrics.TEXT_FORMAT, s.contentType());
    return PrometheusText.parse(new String(s.body(), StandardCharsets.UTF_8));
  }

  @Test
  void everySpecMetricWithItsTypeAndLabels() throws Exception {
    metrics.bind(this::status);
    depth.set(7);
    PrometheusText t = scrape();
    assertEquals(7, t.value("sluice_queue_depth"));
    assertEquals(19000, t.value("sluice_queue_max"));
    assertEquals(1.5, t.value("sluice_queue_oldest_wait_seconds"));
    assertEquals(60, t.value("sluice_queue_timeout_seconds"));
    assertEquals(40, t.value("sluice_requests_total", "outcome", "served"));
    assertEquals(2, t.value("sluice_requests_total", "outcome", "queue_full"));
    assertEquals(50, t.value("sluice_requests_received_total"));
    assertEquals(2, t.value("sluice_backend_inflight", "backend", "app"));
    assertEquals(3, t.value("sluice_backend_limit", "backend", "app"));
    assertEquals(1, t.value("sluice_backend_paused", "backend", "app"));
    assertEquals(5, t.value("sluice_backend_kernel_queue_depth", "backend", "app"));
    assertEquals(4096, t.value("sluice_listener_backlog", "listener", "127.0.0.1:8080"));
    assertEquals(100, t.value("sluice_listener_backlog", "listener", "unix:/run/s.sock"));
    assertEquals(3, t.value("sluice_listener_kernel_queue_depth", "listener", "127.0.0.1:8080"));
    assertTrue(Double.isNaN(t.value("sluice_listener_kernel_queue_depth", "listener", "unix:/run/s.sock")),
        "an accept queue the kernel does not report is NaN");
    assertEquals(1234, t.value("sluice_buffered_bytes", "where", "memory"));
    assertEquals(5678, t.value("sluice_buffered_bytes", "where", "disk"));
    assertEquals("gauge", t.types().get("sluice_buffered_bytes"));
    assertEquals("gauge", t.types().get("sluice_queue_depth"));
    assertEquals("counter", t.types().get("sluice_requests_total"));
    assertEquals("histogram", t.types().get("sluice_queue_wait_seconds"));
    assertEquals("gauge", t.types().get("sluice_backend_kernel_queue_depth"));
    assertEquals("gauge", t.types().get("sluice_listener_kernel_queue_depth"));
  }

  @Test
  void limitChangesAreCountedAtZeroFromTheStartForEveryDirectionAndReason() throws Exception {
    metrics.bind(this::status);
    PrometheusText t = scrape();
    long series = t.samples().stream().filter(x -> x.name().equals("sluice_backend_limit_changes_total")).count();
    assertEquals(2 * Reason.values().length, series, "up and down for every reason, before the limit moves");
    for (Reason r : Reason.values()) {
      for (String direction : List.of("up", "down")) {
        assertEquals(0, t.value("sluice_backend_limit_changes_total", "backend", "app", "direction", direction,
            "reason", r.label()));
      }
    }
    changes = List.of(new Status.LimitChange("up", "slow_start", 3));
    t = scrape();
    assertEquals(3, t.value("sluice_backend_limit_changes_total", "backend", "app", "direction", "up", "reason",
        "slow_start"));
    assertEquals("counter", t.types().get("sluice_backend_limit_changes_total"));
    changes = List.of(new Status.LimitChange("up", "slow_start", 4), new Status.LimitChange("down", "backend_queue",
        1));
    t = scrape();
    assertEquals(4, t.value("sluice_backend_limit_changes_total", "backend", "app", "direction", "up", "reason",
        "slow_start"));
    assertEquals(1, t.value("sluice_backend_limit_changes_total", "backend", "app", "direction", "down", "reason",
        "backend_queue"));
    assertEquals(0, t.value("sluice_backend_limit_changes_total", "backend", "app", "direction", "down", "reason",
        "slow_start"));
  }

  @Test
  void retriesAreCountedByReasonFromTheStartAndConnectionsAreGauges() throws Exception {
    metrics.bind(this::status);
    PrometheusText t = scrape();
    assertEquals(0, t.value("sluice_backend_retries_total", "backend", "app", "reason", "stale_connection"));
    assertEquals("counter", t.types().get("sluice_backend_retries_total"));
    retries = Map.of("stale_connection", 2L, "reset_before_response", 5L);
    t = scrape();
    assertEquals(2, t.value("sluice_backend_retries_total", "backend", "app", "reason", "stale_connection"));
    assertEquals(5, t.value("sluice_backend_retries_total", "backend", "app", "reason", "reset_before_response"));
    assertEquals(2, t.value("sluice_backend_connections", "backend", "app"));
    assertEquals(0, t.value("sluice_backend_idle_connections", "backend", "app"));
  }

  @Test
  void jvmAndProcessMetricsToo() throws Exception {
    PrometheusText t = scrape();
    for (String family : List.of("jvm_memory_used_bytes", "jvm_threads_live_threads", "process_cpu_usage",
        "process_uptime_seconds", "process_files_open_files", "jvm_classes_loaded_classes")) {
      assertTrue(t.types().containsKey(family), family + " in " + t.types().keySet());
    }
  }

  @Test
  void queueWaitsFillTheHistogram() throws Exception {
    metrics.queueWait(2_000_000L);
    metrics.queueWait(300_000_000L);
    metrics.queueWait(3_000_000_000L);
    PrometheusText t = scrape();
    assertEquals(3, t.value("sluice_queue_wait_seconds_count"));
    assertEquals(3.302, t.value("sluice_queue_wait_seconds_sum"), 1e-9);
    assertEquals(0, t.value("sluice_queue_wait_seconds_bucket", "le", "0.001"));
    assertEquals(1, t.value("sluice_queue_wait_seconds_bucket", "le", "0.005"));
    assertEquals(2, t.value("sluice_queue_wait_seconds_bucket", "le", "0.5"));
    assertEquals(3, t.value("sluice_queue_wait_seconds_bucket", "le", "5.0"));
    assertEquals(3, t.value("sluice_queue_wait_seconds_bucket", "le", "+Inf"));
  }

  @Test
  void oneStatusSnapshotPerScrape() throws Exception {
    metrics.bind(this::status);
    int before = calls.get();
    scrape();
    assertEquals(before + 1, calls.get());
  }

  @Test
  void openMetricsWhenAskedFor() throws Exception {
    MetricsSource.Scrape s = metrics.scrape("application/openmetrics-text;version=1.0.0,text/plain;q=0.5");
    assertEquals(PrometheusMetrics.OPENMETRICS_FORMAT, s.contentType());
    assertTrue(new String(s.body(), StandardCharsets.UTF_8).endsWith("# EOF\n"));
  }

  @Test
  void bindsOnce() {
    metrics.bind(this::status);
    assertThrows(IllegalStateException.class, () -> metrics.bind(this::status));
  }

  @Test
  void theReferenceParserAgrees() throws Exception {
    assumeTrue(PrometheusText.officialParserInstalled(), "python3-prometheus-client is not installed");
    metrics.bind(this::status);
    metrics.queueWait(5_000_000L);
    String text = new String(metrics.scrape(null).body(), StandardCharsets.UTF_8);
    String families = PrometheusText.officialParser(text);
    assertTrue(families.contains("sluice_queue_wait_seconds histogram"), families);
    assertTrue(families.contains("sluice_requests counter"), families);
    assertTrue(families.contains("sluice_queue_depth gauge"), families);
  }

  @Test
  void theStrictParserRefusesMalformedText() {
    for (String bad : List.of("x 1", "x{a=\"1\"} 1\n# TYPE x gauge\n", "x{a=1} 1\n", "x one\n", "1x 1\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n",
        "a 1\nb 1\na 2\n")) {
      assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse(bad), bad);
    }
  }
}
