package io.sluice.status;

import io.sluice.kernel.KernelQueue;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A running Sluice at one instant: {@code GET /api/v1/status} and the metrics are drawn from it.
 *
 * @param listeners the front listeners, in configuration order
 * @param queue     Sluice's queue
 * @param backends  the backends, in configuration order
 * @param totals    request counts since start
 * @param fds       the process's file descriptors
 * @param buffers   bytes of buffered bodies, in memory and in temporary files
 */
public record Status(List<Listener> listeners, Queue queue, List<Backend> backends, Totals totals, Fds fds,
    Buffers buffers) {

  /** A status that says nothing of buffers (they read as zero): for a part that does not keep any. */
  public Status(List<Listener> listeners, Queue queue, List<Backend> backends, Totals totals, Fds fds) {
    this(listeners, queue, backends, totals, fds, new Buffers(0, 0, 0, 0));
  }

  /**
   * @param address          as bound (a port 0 replaced by the real port)
   * @param backlogSetting   {@code max} or the number configured
   * @param backlogEffective what was passed to {@code listen(2)}
   * @param somaxconn        {@code net.core.somaxconn} now
   * @param kernelQueue      the accept queue as the kernel reports it (sampled a few times a second)
   */
  public record Listener(String address, String backlogSetting, int backlogEffective, int somaxconn,
      KernelQueue kernelQueue) {
  }

  /**
   * @param max            {@code max} or the number configured
   * @param effectiveMax   the bound in force ({@code max} resolved from file descriptors)
   * @param drainPerSecond requests that left a backend per second, over the last second
   * @param discipline     {@code fifo} or {@code adaptive}
   * @param targetMs       the wait the adaptive discipline holds under sustained overload
   * @param overloaded     whether the queue is in sustained overload now (refusing what would wait past the target)
   * @param modeAgeMs      how long ago {@code overloaded} last changed; -1 when it never has
   */
  public record Queue(int depth, int peak, String max, int effectiveMax, long timeoutMs, long oldestWaitMs,
      double drainPerSecond, String discipline, long targetMs, boolean overloaded, long modeAgeMs) {

    /** A FIFO queue that was never overloaded. */
    public Queue(int depth, int peak, String max, int effectiveMax, long timeoutMs, long oldestWaitMs,
        double drainPerSecond) {
      this(depth, peak, max, effectiveMax, timeoutMs, oldestWaitMs, drainPerSecond, "fifo", timeoutMs, false, -1);
    }
  }

  /**
   * @param limitSetting {@code auto} or the number configured
   * @param limitCurrent the limit in force now
   * @param paused       in connect backoff: it refused a connection a moment ago
   * @param kernelQueue  its listening socket's accept queue, when the kernel will say (a local backend)
   * @param lastDecision the limit's last move, or {@code null} when it never moved
   * @param limitChanges how often the limit moved, for each direction and reason seen so far
   * @param connections  the connections open to it now
   * @param retries      how often a request was sent to it again, by reason label, every reason present
   */
  public record Backend(String name, String address, String protocol, String limitSetting, int limitCurrent,
      int inflight, boolean paused, KernelQueue kernelQueue, LimitDecision lastDecision,
      List<LimitChange> limitChanges, Connections connections, Map<String, Long> retries) {
    public Backend {
      limitChanges = List.copyOf(limitChanges);
      retries = Collections.unmodifiableMap(new LinkedHashMap<>(retries));
    }
  }

  /**
   * @param open connecting, carrying a request, or idle; at most the limit, but for a moment after the limit dropped
   * @param idle kept for the next request
   */
  public record Connections(int open, int idle) {
  }

  /**
   * One move of a backend's limit.
   *
   * @param direction {@code up} or {@code down}
   * @param reason    why, as the metric's {@code reason} label
   * @param agoMs     how long before the snapshot
   */
  public record LimitDecision(String direction, String reason, int from, int to, long agoMs) {
  }

  /** How often a backend's limit moved one way for one reason. */
  public record LimitChange(String direction, String reason, long count) {
  }

  /**
   * @param received  requests whose head arrived
   * @param byOutcome finished requests by outcome label ({@code served}, {@code queue_full}, ...), every label present
   */
  public record Totals(long received, Map<String, Long> byOutcome) {
  }

  /** @param open descriptors open now; {@code soft} and {@code hard} are RLIMIT_NOFILE */
  public record Fds(long soft, long hard, int open) {
  }

  /**
   * Request bodies and response spools held now, against their budgets ({@code buffers.memoryTotal},
   * {@code buffers.disk}).
   *
   * @param memory bytes in memory (bytes on their way to a file included)
   * @param disk   bytes in temporary files
   */
  public record Buffers(long memory, long disk, long memoryBudget, long diskBudget) {
  }
}
