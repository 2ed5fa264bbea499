package io.sluice.ops;

import static io.sluice.ops.Examples.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code conf/grafana/sluice-dashboard.json} and {@code conf/prometheus/prometheus.yml}, checked the way Grafana and
 * Prometheus would load them. That every metric they name exists is {@link ExportedMetricsIT}'s part.
 */
class MonitoringExamplesTest {

  private static final String DASHBOARD = "conf/grafana/sluice-dashboard.json";
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)");
  private static final Set<String> GRAFANA_VARIABLES = Set.of("__rate_interval", "__interval", "__range");

  private final JsonObject dashboard = Examples.json(DASHBOARD);

  private List<JsonObject> panels() {
    List<JsonObject> panels = new ArrayList<>();
    dashboard.getJsonArray("panels").forEach(p -> panels.add((JsonObject) p));
    return panels;
  }

  /** Every PromQL expression: panel targets and annotation queries. */
  private List<String> expressions() {
    List<String> exprs = new ArrayList<>();
    for (JsonObject p : panels()) {
      p.getJsonArray("targets").forEach(t -> exprs.add(((JsonObject) t).getString("expr")));
    }
    dashboard.getJsonObject("annotations").getJsonArray("list").forEach(a -> {
      String expr = ((JsonObject) a).getString("expr");
      if (expr != null) {
        exprs.add(expr);
      }
    });
    return exprs;
  }

  private Set<String> templateVariables() {
    Set<String> names = new HashSet<>();
    dashboard.getJsonObject("templating").getJsonArray("list")
        .forEach(v -> names.add(((JsonObject) v).getString("name")));
    return names;
  }

  @Test
  void panelsHaveUniqueIdsAndDoNotOverlapOnTheGrid() {
    Set<Integer> ids = new HashSet<>();
    List<int[]> boxes = new ArrayList<>();
    for (JsonObject p : panels()) {
      assertTrue(ids.add(p.getInteger("id")), "panel id " + p.getInteger("id") + " twice");
      JsonObject g = p.getJsonObject("gridPos");
      int x = g.getInteger("x");
      int y = g.getInteger("y");
      int w = g.getInteger("w");
      int h = g.getInteger("h");
      assertTrue(x >= 0 && w > 0 && x + w <= 24 && y >= 0 && h > 0, p.getString("title") + ": " + g);
      for (int[] b : boxes) {
        boolean apart = x + w <= b[0] || b[0] + b[2] <= x || y + h <= b[1] || b[1] + b[3] <= y;
        assertTrue(apart, p.getString("title") + " overlaps another panel");
      }
      boxes.add(new int[] {x, y, w, h});
    }
  }

  @Test
  void everyQueryUsesTheDatasourceVariableAndDefinedVariables() {
    Set<String> defined = templateVariables();
    assertTrue(defined.contains("datasource"), "a datasource variable, so the dashboard imports anywhere");
    JsonObject ds = dashboard.getJsonObject("templating").getJsonArray("list").stream()
        .map(v -> (JsonObject) v).filter(v -> "datasource".equals(v.getString("name"))).findFirst().orElseThrow();
    assertEquals("datasource", ds.getString("type"));
    assertEquals("prometheus", ds.getString("query"));
    for (JsonObject p : panels()) {
      assertEquals("${datasource}", p.getJsonObject("datasource").getString("uid"), p.getString("title"));
      JsonArray targets = p.getJsonArray("targets");
      assertFalse(targets.isEmpty(), p.getString("title") + " has no query");
      Set<String> refIds = new HashSet<>();
      for (Object t : targets) {
        JsonObject target = (JsonObject) t;
        assertTrue(refIds.add(target.getString("refId")), p.getString("title") + ": refId twice");
        assertFalse(target.getString("expr", "").isBlank(), p.getString("title") + ": empty expression");
      }
    }
    for (String expr : expressions()) {
      assertBalanced(expr);
      Matcher m = VARIABLE.matcher(expr);
      while (m.find()) {
        assertTrue(defined.contains(m.group(1)) || GRAFANA_VARIABLES.contains(m.group(1)),
            "undefined variable $" + m.group(1) + " in " + expr);
      }
    }
  }

  @Test
  void waitQuantilesComeFromTheHistogramBucketsByLe() {
    List<String> quantiles = expressions().stream().filter(e -> e.contains("histogram_quantile")).toList();
    assertTrue(quantiles.stream().anyMatch(e -> e.contains("histogram_quantile(0.5,")), "p50: " + quantiles);
    assertTrue(quantiles.stream().anyMatch(e -> e.contains("histogram_quantile(0.99,")), "p99: " + quantiles);
    for (String e : quantiles) {
      assertTrue(e.contains("sluice_queue_wait_seconds_bucket"), e);
      assertTrue(e.matches(".*\\bby \\((le|[^)]*, le|le, [^)]*)\\).*"), "aggregated without le: " + e);
    }
  }

  @Test
  void chartsWhatAnOperatorWatchesDuringASpike() {
    String all = String.join("\n", expressions());
    for (String series : List.of("sluice_queue_depth", "sluice_queue_drain_rate", "sluice_queue_wait_seconds_bucket",
        "sluice_backend_limit", "sluice_backend_inflight", "sluice_backend_kernel_queue_depth",
        "sluice_listener_kernel_queue_depth", "sluice_requests_total", "sluice_backend_limit_changes_total",
        "sluice_backend_retries_total", "sluice_buffered_bytes", "sluice_queue_overloaded",
        "sluice_queue_target_seconds", "sluice_backend_connections", "sluice_backend_idle_connections")) {
      assertTrue(MetricReferences.names(all).contains(series), series + " is charted nowhere");
    }
    assertTrue(all.contains("sum by (outcome) (rate(sluice_requests_total"), "outcomes per second");
    assertTrue(all.contains("sum by (backend, direction, reason) (increase(sluice_backend_limit_changes_total"),
        "the limit's moves by direction and reason");
    assertFalse(all.contains("changes(sluice_backend_limit"),
        "a limit's moves are counted by Sluice; changes() of the gauge misses those between two scrapes");
  }

  @Test
  void prometheusReadsTheTokenFromAFile() {
    Map<String, Object> config = Examples.yaml("conf/prometheus/prometheus.yml");
    List<Map<String, Object>> jobs = at(config, "scrape_configs");
    assertFalse(jobs.isEmpty());
    for (Map<String, Object> job : jobs) {
      Map<String, Object> auth = at(job, "authorization");
      String file = (String) auth.get("credentials_file");
      assertTrue(file != null && file.startsWith("/"), job.get("job_name") + ": credentials_file " + file);
      assertFalse(auth.containsKey("credentials"), "a token written in the example");
      assertFalse(job.containsKey("bearer_token"), "a token written in the example");
      assertEquals("/metrics", job.getOrDefault("metrics_path", "/metrics"));
    }
  }

  @Test
  void prometheusKeepsTheSidecarsAdminPort() {
    Map<String, Object> config = Examples.yaml("conf/prometheus/prometheus.yml");
    List<Map<String, Object>> jobs = at(config, "scrape_configs");
    Map<String, Object> k8s = jobs.stream().filter(j -> j.containsKey("kubernetes_sd_configs")).findFirst()
        .orElseThrow(() -> new AssertionError("no Kubernetes job"));
    List<Map<String, Object>> relabel = at(k8s, "relabel_configs");
    Map<String, Object> keep = relabel.stream().filter(r -> "keep".equals(r.get("action"))).findFirst().orElseThrow();
    assertEquals(List.of("__meta_kubernetes_pod_container_port_name"), keep.get("source_labels"));
    String portName = (String) keep.get("regex");
    List<String> portNames = new ArrayList<>();
    for (Object doc : Examples.yamlDocuments("conf/kubernetes/sluice-sidecar.yaml")) {
      if ("Deployment".equals(((Map<?, ?>) doc).get("kind"))) {
        List<Map<String, Object>> containers = at(doc, "spec", "template", "spec", "containers");
        for (Map<String, Object> c : containers) {
          if (c.containsKey("ports")) {
            List<Map<String, Object>> ports = at(c, "ports");
            ports.forEach(port -> portNames.add((String) port.get("name")));
          }
        }
      }
    }
    assertTrue(portNames.contains(portName), "the sidecar has no port named " + portName + ": " + portNames);
    assertTrue(relabel.stream().anyMatch(r -> "app".equals(r.get("target_label"))
        && List.of("__meta_kubernetes_pod_label_app_kubernetes_io_name").equals(r.get("source_labels"))),
        "the app label the KEDA example selects on");
  }

  private static void assertBalanced(String expr) {
    StringBuilder open = new StringBuilder();
    boolean quoted = false;
    for (char c : expr.toCharArray()) {
      if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && "([{".indexOf(c) >= 0) {
        open.append(c);
      } else if (!quoted && ")]}".indexOf(c) >= 0) {
        char expected = "([{".charAt(")]}".indexOf(c));
        assertTrue(open.length() > 0 && open.charAt(open.length() - 1) == expected, "unbalanced " + c + " in " + expr);
        open.setLength(open.length() - 1);
      }
    }
    assertFalse(quoted, "unclosed quote in " + expr);
    assertEquals("", open.toString(), "unclosed brackets in " + expr);
  }
}
