package io.sluice.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.metrics.PrometheusText;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboards, alerts and autoscalers of {@code conf/} and {@code docker/} name only series that Sluice exports.
 * What Sluice exports is read from the packaged Sluice itself: started with a listener, a backend and the admin API,
 * one request served through it, then {@code /metrics} scraped.
 */
class ExportedMetricsIT {

  /** Every {@code sluice_} series of the scrape, by sample name, with its family's type. */
  private static Map<String, String> exported;

  @BeforeAll
  static void scrapeThePackagedSluice(@TempDir Path dir) throws Exception {
    try (PackagedSluice sluice = PackagedSluice.start(dir)) {
      PackagedSluice.Response served = sluice.front("/");
      assertEquals(200, served.status(), served.head() + "\n" + sluice.log());
      assertEquals("ok\n", served.body());
      PackagedSluice.Response metrics = sluice.admin("/metrics");
      assertEquals(200, metrics.status(), metrics.head());
      exported = series(PrometheusText.parse(metrics.body()));
    }
  }

  /** Sample names to types: a histogram's {@code _bucket}, {@code _count} and {@code _sum} are its family's. */
  static Map<String, String> series(PrometheusText text) {
    Map<String, String> series = new TreeMap<>();
    for (PrometheusText.Sample s : text.samples()) {
      if (!s.name().startsWith("sluice_")) {
        continue;
      }
      String type = text.types().get(s.name());
      for (String suffix : List.of("_bucket", "_count", "_sum")) {
        if (type == null && s.name().endsWith(suffix)) {
          type = text.types().get(s.name().substring(0, s.name().length() - suffix.length()));
        }
      }
      series.put(s.name(), type == null ? "untyped" : type);
    }
    return series;
  }

  @Test
  void theScrapeHoldsGaugesCountersAndTheWaitHistogram() {
    assertTrue(exported.containsValue("gauge"), exported.toString());
    assertTrue(exported.containsValue("counter"), exported.toString());
    assertTrue(exported.containsValue("histogram"), exported.toString());
    assertFalse(exported.containsValue("untyped"), exported.toString());
  }

  @Test
  void everyExampleNamesOnlySeriesSluiceExports() {
    List<String> problems = new ArrayList<>();
    int references = 0;
    for (String file : Examples.structuredFiles()) {
      for (String s : Examples.strings(file)) {
        references += MetricReferences.names(s).size();
        problems.addAll(MetricReferences.problems(file, s, exported));
      }
    }
    assertEquals(List.of(), problems, "exported: " + exported.keySet());
    assertTrue(references >= 10, "only " + references + " references to Sluice's metrics in conf/ and docker/");
  }

  @Test
  void aMisspelledNameAFamilyNameAndARateOfAGaugeAreCaught() {
    String expr = "rate(sluice_queue_depth[1m]) + sluice_queue_depht"
        + " + sluice_queue_wait_seconds + rate(sluice_queue_wait_seconds_bucket[1m])";
    List<String> problems = MetricReferences.problems("test", expr, exported);
    assertEquals(3, problems.size(), problems.toString());
    assertTrue(problems.get(0).contains("sluice_queue_depht is not a series"), problems.toString());
    assertTrue(problems.get(1).contains("sluice_queue_wait_seconds is not a series"), problems.toString());
    assertTrue(problems.get(2).contains("rate() of sluice_queue_depth, a gauge"), problems.toString());
  }
}
