package io.sluice.metrics;

import java.io.IOException;
import java.util.Objects;

/**
 * What {@code GET /metrics} serves: the metrics rendered in the format the scraper asked for. Thread-safe; the admin
 * listener calls it on a worker thread, since rendering reads {@code /proc} and takes a status snapshot.
 */
@FunctionalInterface
public interface MetricsSource {

  /**
   * @param accept the scraper's {@code Accept} header, or {@code null}: Prometheus text unless it asks for
   *               OpenMetrics
   */
  Scrape scrape(String accept) throws IOException;

  /** A rendered scrape and its {@code Content-Type}. */
  record Scrape(String contentType, byte[] body) {
    public Scrape {
      Objects.requireNonNull(contentType, "contentType");
      Objects.requireNonNull(body, "body");
    }
  }
}
