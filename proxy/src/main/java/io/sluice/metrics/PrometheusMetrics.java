package io.sluice.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.kernel.KernelQueue;
import io.sluice.limit.Decision;
import io.sluice.limit.Reason;
import io.sluice.status.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Sluice's metrics in a Micrometer Prometheus registry, under the names of {@link MetricNames}, with the JVM and
 * process metrics of Micrometer's binders.
 *
 * <p>The request path feeds only the queue-wait histogram, through {@link #queueWait} (a held {@link Timer}: no
 * lookup, no lock). Everything else is a gauge or function counter over a {@link Status} snapshot that
 * {@link #scrape} takes once per scrape, so a scrape sees one consistent picture and costs the request path nothing.
 *
 * <p>Series exist from the first snapshot for every listener, backend and outcome, and every counter for each of its
 * known label values, at 0 until counted: {@code sluice_backend_limit_changes_total} for every direction and
 * {@link Reason}, {@code sluice_backend_retries_total} for every reason of the snapshot. A counter that appeared only
 * with its first count would have that count missed by {@code increase()} and {@code rate()}.
 *
 * <p>Thread-safe. {@link #bind} is called once, when the runtime's status exists; {@link #scrape} on a worker thread.
 */
public final class PrometheusMetrics implements Metrics, MetricsSource, AutoCloseable {

  /** Queue waits worth telling apart: from "no wait" to the default queue timeout. */
  private static final Duration[] WAIT_BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};
  /** Prometheus's text format, version 0.0.4: what {@code /metrics} serves unless asked for OpenMetrics. */
  public static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";
  public static final String OPENMETRICS_FORMAT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer queueWait;
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private Supplier<Status> source;
  private volatile Status snapshot;

  public PrometheusMetrics() {
    queueWait = Timer.builder(MetricNames.QUEUE_WAIT)
        .description("Time a request waited in Sluice's queue before a backend took it")
        .serviceLevelObjectives(WAIT_BUCKETS)
        .register(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
  }

  @Override
  public void queueWait(long nanos) {
    queueWait.record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Registers the gauges over {@code status}: one series per listener and per backend of its first snapshot (both
   * are fixed for the life of the process). Call once.
   */
  public synchronized void bind(Supplier<Status> status) {
    if (source != null) {
      throw new IllegalStateException("already bound");
    }
    source = Objects.requireNonNull(status, "status");
    Status first = status.get();
    snapshot = first;

    gauge(MetricNames.QUEUE_DEPTH, "Requests waiting in Sluice's queue", null, Tags.empty(), s -> s.queue().depth());
    gauge(MetricNames.QUEUE_PEAK, "Most requests that waited at once since start", null, Tags.empty(),
        s -> s.queue().peak());
    gauge(MetricNames.QUEUE_MAX, "The queue bound in force (max resolved)", null, Tags.empty(),
        s -> s.queue().effectiveMax());
    gauge(MetricNames.QUEUE_OLDEST_WAIT, "How long the request at the head of the queue has waited", "seconds",
        Tags.empty(), s -> s.queue().oldestWaitMs() / 1000.0);
    gauge(MetricNames.QUEUE_TIMEOUT, "Longest wait in the queue", "seconds", Tags.empty(),
        s -> s.queue().timeoutMs() / 1000.0);
    gauge(MetricNames.QUEUE_DRAIN_RATE, "Requests that left a backend per second, over the last second", null,
        Tags.empty(), s -> s.queue().drainPerSecond());
    gauge(MetricNames.QUEUE_OVERLOADED, "1 while the adaptive queue is in sustained overload, else 0", null,
        Tags.empty(), s -> s.queue().overloaded() ? 1 : 0);
    gauge(MetricNames.QUEUE_TARGET, "The wait the adaptive queue holds under sustained overload", "seconds",
        Tags.empty(), s -> s.queue().targetMs() / 1000.0);

    gauge(MetricNames.BUFFERED, "Bytes of request bodies and response spools held now", "bytes",
        Tags.of(MetricNames.WHERE_TAG, "memory"), s -> s.buffers().memory());
    gauge(MetricNames.BUFFERED, "Bytes of request bodies and response spools held now", "bytes",
        Tags.of(MetricNames.WHERE_TAG, "disk"), s -> s.buffers().disk());

    counter(MetricNames.REQUESTS_RECEIVED, "Requests whose head arrived", Tags.empty(), s -> s.totals().received());
    for (String outcome : first.totals().byOutcome().keySet()) {
      counter(MetricNames.REQUESTS, "Finished requests by outcome", Tags.of(MetricNames.OUTCOME_TAG, outcome),
          s -> s.totals().byOutcome().getOrDefault(outcome, 0L));
    }

    for (int i = 0; i < first.backends().size(); i++) {
      int at = i;
      Tags tags = Tags.of(MetricNames.BACKEND_TAG, first.backends().get(i).name());
      gauge(MetricNames.BACKEND_INFLIGHT, "Requests inside the backend now", null, tags,
          s -> s.backends().get(at).inflight());
      gauge(MetricNames.BACKEND_LIMIT, "Most requests allowed inside the backend now", null, tags,
          s -> s.backends().get(at).limitCurrent());
      gauge(MetricNames.BACKEND_PAUSED, "1 while the backend is in connect backoff", null, tags,
          s -> s.backends().get(at).paused() ? 1 : 0);
      gauge(MetricNames.BACKEND_CONNECTIONS, "Connections open to the backend: connecting, in use or idle", null,
          tags, s -> s.backends().get(at).connections().open());
      gauge(MetricNames.BACKEND_IDLE_CONNECTIONS, "Idle connections kept for the backend's next requests", null,
          tags, s -> s.backends().get(at).connections().idle());
      for (Reason r : Reason.values()) {
        String reason = r.label();
        for (String direction : List.of(Decision.UP, Decision.DOWN)) {
          counter(MetricNames.BACKEND_LIMIT_CHANGES, "Moves of the backend's limit, by direction and reason",
              tags.and(MetricNames.DIRECTION_TAG, direction, MetricNames.REASON_TAG, reason),
              s -> limitChanges(s.backends().get(at), direction, reason));
        }
      }
      for (String reason : first.backends().get(i).retries().keySet()) {
        counter(MetricNames.BACKEND_RETRIES,
            "Requests sent to the backend again because it never answered them, by reason",
            tags.and(MetricNames.REASON_TAG, reason), s -> s.backends().get(at).retries().getOrDefault(reason, 0L));
      }
      kernelQueue(MetricNames.BACKEND_KERNEL_QUEUE_DEPTH, "Connections waiting in the backend's accept queue",
          MetricNames.BACKEND_KERNEL_QUEUE_MAX, "The backend's listen backlog", tags,
          s -> s.backends().get(at).kernelQueue());
    }
    for (int i = 0; i < first.listeners().size(); i++) {
      int at = i;
      Tags tags = Tags.of(MetricNames.LISTENER_TAG, first.listeners().get(i).address());
      gauge(MetricNames.LISTENER_BACKLOG, "The backlog passed to listen(2)", null, tags,
          s -> s.listeners().get(at).backlogEffective());
      kernelQueue(MetricNames.LISTENER_KERNEL_QUEUE_DEPTH, "Connections waiting to be accepted",
          MetricNames.LISTENER_KERNEL_QUEUE_MAX, "The accept queue's bound as the kernel reports it", tags,
          s -> s.listeners().get(at).kernelQueue());
    }
  }

  /**
   * Renders every metric as of now in the format {@code accept} prefers: Prometheus text by default, OpenMetrics
   * when asked (as Prometheus itself does). Blocking (the process metrics read {@code /proc}): call it off the event loop.
   */
  @Override
  public synchronized Scrape scrape(String accept) throws IOException {
    if (source != null) {
      snapshot = source.get();
    }
    String format = accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS_FORMAT
        : TEXT_FORMAT;
    ByteArrayOutputStream out = new ByteArrayOutputStream(32 * 1024);
    registry.scrape(out, format);
    return new Scrape(format, out.toByteArray());
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }

  private static double limitChanges(Status.Backend b, String direction, String reason) {
    for (Status.LimitChange c : b.limitChanges()) {
      if (c.direction().equals(direction) && c.reason().equals(reason)) {
        return c.count();
      }
    }
    return 0;
  }

  /** A counter read from each scrape's snapshot; Micrometer holds this object weakly, the runtime for its whole life. */
  private void counter(String name, String help, Tags tags, ToDoubleFunction<Status> read) {
    FunctionCounter.builder(name, this, m -> read.applyAsDouble(m.snapshot)).description(help).tags(tags)
        .register(registry);
  }

  private void gauge(String name, String help, String unit, Tags tags, ToDoubleFunction<Status> read) {
    Gauge.builder(name, this, m -> read.applyAsDouble(m.snapshot))
        .description(help).baseUnit(unit).tags(tags).strongReference(true).register(registry);
  }

  /** An accept queue's depth and maximum, NaN while the kernel does not report it. */
  private void kernelQueue(String depthName, String depthHelp, String maxName, String maxHelp, Tags tags,
      Function<Status, KernelQueue> queue) {
    gauge(depthName, depthHelp + " (NaN: unknown)", null, tags,
        s -> queue.apply(s) instanceof KernelQueue.Known k ? k.depth() : Double.NaN);
    gauge(maxName, maxHelp + " (NaN: unknown)", null, tags,
        s -> queue.apply(s) instanceof KernelQueue.Known k ? k.max() : Double.NaN);
  }
}
