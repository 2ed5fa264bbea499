package io.sluice.it;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's {@code chromium}, headless, driven through Debian's {@code chromedriver} (WebDriver; no download, no
 * Selenium Manager: both paths are given). Each instance has a fresh profile and none of Chromium's own traffic to
 * the internet (background networking, component updates, sync, QUIC are off). Where a package is missing the test is
 * skipped, unless {@code SLUICE_REQUIRE_BACKENDS} is set (as in CI), in which case it fails.
 *
 * <p>Every URL requested after the browser opened {@code about:blank} is kept, from Chromium's performance log (its DevTools network events, read through
 * chromedriver), and so is what the page logged to its console.
 */
final class HeadlessChromium implements AutoCloseable {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private final ChromeDriver driver;
  private final List<String> requested = new ArrayList<>();
  private final List<String> console = new ArrayList<>();

  private HeadlessChromium(ChromeDriver driver) {
    this.driver = driver;
  }

  static HeadlessChromium start(Path dir) throws Exception {
    require("chromium", CHROMIUM);
    require("chromium-driver", CHROMEDRIVER);
    Path profile = Files.createDirectories(dir.resolve("chromium-profile"));
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1400,1000", "--user-data-dir=" + profile);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.PERFORMANCE, Level.ALL);
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .withLogFile(new File(dir.resolve("chromedriver.log").toString()))
        .build();
    HeadlessChromium chromium = new HeadlessChromium(new ChromeDriver(service, options));
    // Chromium's own first tab (its new-tab page, from chrome://) is not the page under test: start from a blank one.
    chromium.driver.get("about:blank");
    chromium.requestedUrls();
    chromium.requested.clear();
    return chromium;
  }

  private static void require(String pkg, Path file) {
    if (Files.isExecutable(file)) {
      return;
    }
    String required = System.getenv("SLUICE_REQUIRE_BACKENDS");
    if (required != null && !required.isEmpty()) {
      fail(file + " is missing: install Debian's " + pkg);
    }
    assumeTrue(false, file + " is missing (Debian package " + pkg + "): skipped");
  }

  ChromeDriver driver() {
    return driver;
  }

  Object script(String js, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(js, args);
  }

  /** Every URL the browser requested since {@code about:blank}, in order. */
  List<String> requestedUrls() {
    for (LogEntry e : driver.manage().logs().get(LogType.PERFORMANCE)) {
      JsonObject message = new JsonObject(e.getMessage()).getJsonObject("message");
      if ("Network.requestWillBeSent".equals(message.getString("method"))) {
        requested.add(message.getJsonObject("params").getJsonObject("request").getString("url"));
      }
    }
    return List.copyOf(requested);
  }

  /** What the page logged to its console so far: its errors, CSP violations, failed loads. */
  List<String> console() {
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      console.add(e.getLevel() + " " + e.getMessage());
    }
    return List.copyOf(console);
  }

  @Override
  public void close() {
    driver.quit();
  }
}
