package io.sluice.metrics;

/**
 * Every metric Sluice exports, in Micrometer's dotted form. The Prometheus registry turns {@code .} into {@code _}
 * and adds the unit and {@code _total} suffixes: {@code sluice.queue.wait} becomes
 * {@code sluice_queue_wait_seconds}, {@code sluice.requests} becomes {@code sluice_requests_total}.
 */
public final class MetricNames {

  /** Label naming a backend, as configured. */
  public static final String BACKEND_TAG = "backend";
  /** Label naming a listener by its address as bound. */
  public static final String LISTENER_TAG = "listener";
  /** Label saying which way a limit moved: {@code up} or {@code down}. */
  public static final String DIRECTION_TAG = "direction";
  /** Label saying why a limit moved ({@code slow_start}, {@code backend_queue}, ...). */
  public static final String REASON_TAG = "reason";
  /** Label naming how a request ended ({@code served}, {@code queue_full}, ...). */
  public static final String OUTCOME_TAG = "outcome";
  /** Label saying where buffered bytes are: {@code memory} or {@code disk}. */
  public static final String WHERE_TAG = "where";

  public static final String QUEUE_DEPTH = "sluice.queue.depth";
  public static final String QUEUE_PEAK = "sluice.queue.peak";
  /** The queue bound in force ({@code max} resolved). */
  public static final String QUEUE_MAX = "sluice.queue.max";
  /** Seconds the request at the head of the queue has waited. */
  public static final String QUEUE_OLDEST_WAIT = "sluice.queue.oldest.wait";
  public static final String QUEUE_TIMEOUT = "sluice.queue.timeout";
  /** Requests that left a backend per second, over the last second. */
  public static final String QUEUE_DRAIN_RATE = "sluice.queue.drain.rate";
  /** 1 while the adaptive queue is in sustained overload, refusing what would wait past its target; else 0. */
  public static final String QUEUE_OVERLOADED = "sluice.queue.overloaded";
  /** The wait the adaptive queue holds under sustained overload. */
  public static final String QUEUE_TARGET = "sluice.queue.target";
  /** Histogram of the time a request waited before a backend took it. */
  public static final String QUEUE_WAIT = "sluice.queue.wait";

  /** Finished requests, by outcome. */
  public static final String REQUESTS = "sluice.requests";
  /** Requests whose head arrived. */
  public static final String REQUESTS_RECEIVED = "sluice.requests.received";

  public static final String BACKEND_INFLIGHT = "sluice.backend.inflight";
  /** The limit in force now (an {@code auto} limit's current value). */
  public static final String BACKEND_LIMIT = "sluice.backend.limit";
  /** 1 while the backend is in connect backoff. */
  public static final String BACKEND_PAUSED = "sluice.backend.paused";
  /** Moves of the backend's limit, by direction ({@code up}, {@code down}) and reason. */
  public static final String BACKEND_LIMIT_CHANGES = "sluice.backend.limit.changes";
  /** Requests sent to the backend again, by reason ({@code stale_connection}, {@code reset_before_response}, ...). */
  public static final String BACKEND_RETRIES = "sluice.backend.retries";
  /** Connections open to the backend: connecting, carrying a request, or idle. */
  public static final String BACKEND_CONNECTIONS = "sluice.backend.connections";
  /** Idle connections kept for the backend's next requests. */
  public static final String BACKEND_IDLE_CONNECTIONS = "sluice.backend.idle.connections";
  public static final String BACKEND_KERNEL_QUEUE_DEPTH = "sluice.backend.kernel.queue.depth";
  public static final String BACKEND_KERNEL_QUEUE_MAX = "sluice.backend.kernel.queue.max";

  /** The backlog passed to {@code listen(2)}. */
  public static final String LISTENER_BACKLOG = "sluice.listener.backlog";
  public static final String LISTENER_KERNEL_QUEUE_DEPTH = "sluice.listener.kernel.queue.depth";
  public static final String LISTENER_KERNEL_QUEUE_MAX = "sluice.listener.kernel.queue.max";

  /** Bytes of request bodies and response spools held now, by where ({@code memory}, {@code disk}). */
  public static final String BUFFERED = "sluice.buffered";

  private MetricNames() {
  }
}
