package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.sluice.config.LimitSetting;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The dashboard in a real browser (headless Chromium) against a real Sluice in front of uWSGI with 2 processes: the
 * token flow, the charts after a spike of 2,000 connections (read from what each chart holds, not from pixels), a
 * page opened after the spike, the limits form, and that the page loads nothing from outside the admin listener.
 */
class DashboardIT {

  private static final int SPIKE = 2000;
  /** A spike of 2,000 through 2 workers of 5 ms queues far more than this at some second. */
  private static final int SPIKE_DEPTH = 100;

  @TempDir
  Path dir;

  @Test
  void theDashboardChartsASpikeChangesLimitsAndLoadsNothingFromElsewhere() throws Exception {
    String token = "dashboard-" + UUID.randomUUID();
    Path tokenFile = Files.writeString(dir.resolve("admin-token"), token + "\n");
    Vertx clients = Vertx.vertx();
    try (HeadlessChromium chromium = HeadlessChromium.start(dir);
        WsgiServer uwsgi = WsgiServer.uwsgiProtocol(dir, 2, 100);
        RunningProxy sluice = RunningProxy.start("--backend", "app=" + uwsgi.address(), "--protocol", "uwsgi",
            "--admin", "127.0.0.1:0", "--admin-token-file", tokenFile.toString())) {
      String origin = "http://127.0.0.1:" + ((Address.Tcp) sluice.sluice().adminAddress().orElseThrow()).port();
      WebDriver page = chromium.driver();

      // The token flow: the page itself loads without it, the API answers 401, the page asks, the token is used.
      page.get(origin + "/");
      awaitText(page, "state", "token needed: paste it above");
      assertEquals(List.of(), page.findElements(By.cssSelector("figure.chart")), "charts without the token");
      page.findElement(By.id("token")).sendKeys(token);
      page.findElement(By.cssSelector("#token-form button[type=submit]")).click();
      awaitText(page, "state", "live");
      assertEquals(token, chromium.script("return sessionStorage.getItem('sluice-admin-token')"));
      eventually(() -> page.findElement(By.id("backends")).getText().startsWith("app ") ? null
          : "backends table: " + page.findElement(By.id("backends")).getText());
      eventually(() -> points(page, "queue-depth") > 0 ? null : "no point charted yet");

      Burst.Result spike = Burst.fire(clients, new Address.Tcp("127.0.0.1", sluice.port()), "/?ms=5", SPIKE,
          Duration.ofSeconds(120)).await(180, TimeUnit.SECONDS);
      assertEquals(SPIKE, spike.count(200), spike.toString());

      // The open page drew the spike: what its charts hold is what the server recorded.
      awaitSpikeCharted(page, origin, token);
      for (String chart : List.of("queue-depth", "drain", "wait", "backend-0", "kernel", "outcomes")) {
        WebElement canvas = page.findElement(By.cssSelector("#chart-" + chart + " canvas"));
        assertTrue(canvas.getSize().getWidth() > 200 && canvas.getSize().getHeight() > 100,
            chart + ": canvas " + canvas.getSize());
      }

      // A page opened after the spike shows it too: the history is the server's.
      page.navigate().refresh();
      awaitText(page, "state", "live");
      awaitSpikeCharted(page, origin, token);

      // The limits form: a new limit applies; a bad one shows the 400's message and changes nothing.
      setLimit(page, "3");
      awaitText(page, "limits-result", "applied");
      assertEquals(LimitSetting.of(3), sluice.sluice().control().limits().backends().get("app"));
      setLimit(page, "-3");
      awaitText(page, "limits-result", "backends.app.limit: \"-3\" (expected: auto or an integer >= 1)");
      assertEquals("bad", page.findElement(By.id("limits-result")).getAttribute("class"));
      assertEquals(LimitSetting.of(3), sluice.sluice().control().limits().backends().get("app"));
      eventually(() -> page.findElement(By.id("events")).getText().contains("app: set to 3") ? null
          : "events: " + page.findElement(By.id("events")).getText());

      page.findElement(By.id("forget")).click();
      awaitText(page, "state", "token needed: paste it above");
      assertEquals(null, chromium.script("return sessionStorage.getItem('sluice-admin-token')"));

      List<String> urls = chromium.requestedUrls();
      assertTrue(urls.contains(origin + "/vendor/uplot/uPlot.iife.min.js"), "uPlot came from " + urls);
      assertTrue(urls.stream().anyMatch(u -> u.startsWith(origin + "/api/v1/history")), urls.toString());
      for (String url : urls) {
        assertTrue(url.startsWith(origin + "/"), url + " is not on the admin listener " + origin + "; all: " + urls);
      }
      for (String line : chromium.console()) {
        assertFalse(line.contains("Content Security Policy") || line.contains("Uncaught"), line);
      }
    } finally {
      clients.close().await();
    }
  }

  /** Waits until the open page's charts hold the spike, as the server's history has it. */
  private static void awaitSpikeCharted(WebDriver page, String origin, String token) throws Exception {
    eventually(() -> {
      JsonObject history = history(origin, token);
      int depth = maxInt(history.getJsonObject("queue").getJsonArray("depth"));
      double served = maxDouble(history.getJsonObject("outcomes").getJsonArray("served"));
      double drained = maxDouble(history.getJsonObject("queue").getJsonArray("drainPerSecond"));
      int inflight = maxInt(history.getJsonArray("backends").getJsonObject(0).getJsonArray("inflight"));
      JsonObject depthChart = max(page, "queue-depth");
      JsonObject outcomesChart = max(page, "outcomes");
      JsonObject drainChart = max(page, "drain");
      JsonObject backendChart = max(page, "backend-0");
      String charted = "charted: " + depthChart + " " + outcomesChart + " " + drainChart + " " + backendChart
          + "; recorded: depth " + depth + ", served/s " + served + ", drained/s " + drained + ", in flight "
          + inflight;
      if (depth < SPIKE_DEPTH || served <= 0) {
        return "the server's history has no spike yet; " + charted;
      }
      boolean all = depthChart.getValue("depth") != null && depthChart.getDouble("depth") == depth
          && outcomesChart.getValue("served") != null && outcomesChart.getDouble("served") == served
          && drainChart.getValue("drained/s") != null && drainChart.getDouble("drained/s") == drained
          && backendChart.getValue("in flight") != null && backendChart.getDouble("in flight") == inflight;
      return all ? null : charted;
    });
  }

  private static JsonObject history(String origin, String token) throws Exception {
    HttpResponse<String> r = Http.CLIENT.send(HttpRequest.newBuilder(URI.create(origin + "/api/v1/history"))
        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private static int maxInt(JsonArray values) {
    int max = -1;
    for (int i = 0; i < values.size(); i++) {
      if (values.getValue(i) != null) {
        max = Math.max(max, values.getInteger(i));
      }
    }
    return max;
  }

  private static double maxDouble(JsonArray values) {
    double max = -1;
    for (int i = 0; i < values.size(); i++) {
      if (values.getValue(i) != null) {
        max = Math.max(max, values.getDouble(i));
      }
    }
    return max;
  }

  /** Each series' largest value in a chart, as the page computed it from the data it gave the chart. */
  private static JsonObject max(WebDriver page, String chart) {
    List<WebElement> fig = page.findElements(By.id("chart-" + chart));
    String max = fig.isEmpty() ? null : fig.get(0).getAttribute("data-max");
    return max == null ? new JsonObject() : new JsonObject(max);
  }

  private static int points(WebDriver page, String chart) {
    List<WebElement> fig = page.findElements(By.id("chart-" + chart));
    String n = fig.isEmpty() ? null : fig.get(0).getAttribute("data-points");
    return n == null ? 0 : Integer.parseInt(n);
  }

  private static void setLimit(WebDriver page, String value) {
    WebElement input = page.findElement(By.name("backend.app.limit"));
    input.clear();
    input.sendKeys(value);
    page.findElement(By.cssSelector("#limits button[type=submit]")).click();
  }

  private static void awaitText(WebDriver page, String id, String text) throws Exception {
    eventually(() -> {
      String now = page.findElement(By.id(id)).getText();
      return now.equals(text) ? null : "#" + id + " says \"" + now + "\", expected \"" + text + "\"";
    });
  }
}
