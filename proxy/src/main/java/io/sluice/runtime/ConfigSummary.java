package io.sluice.runtime;

import io.sluice.config.BackendConfig;
import io.sluice.config.BufferConfig;
import io.sluice.config.ClientConfig;
import io.sluice.config.Durations;
import io.sluice.config.ListenerConfig;
import io.sluice.config.Protocol;
import io.sluice.config.QueueConfig;
import io.sluice.config.QueueDiscipline;
import io.sluice.config.SluiceConfig;
import io.sluice.kernel.FdLimit;
import io.sluice.kernel.FdLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What {@code sluice check} prints for a configuration that would start: one line per part (listeners with their
 * effective backlogs, the queue with its bound, each backend, clients, buffers, admin, shutdown) and the warnings
 * about what would start but hold less than it seems to ask for. The admin token is never shown, only whether one
 * is set.
 *
 * @param lines    the summary, one screen
 * @param warnings each one line, naming the setting and what to raise
 */
record ConfigSummary(List<String> lines, List<String> warnings) {

  /** Below this, a backlog or a queue bound is worth a warning: a spike of a thousand connections overflows it. */
  static final int LOW = 1024;

  ConfigSummary {
    lines = List.copyOf(lines);
    warnings = List.copyOf(warnings);
  }

  /** @param fds the descriptor limit, read again for the summary */
  static ConfigSummary of(Resolved r, FdLimits fds) {
    SluiceConfig c = r.config();
    List<String> lines = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    lines.add("sluice check: the configuration is valid; Sluice would start with:");

    for (int i = 0; i < c.listeners().size(); i++) {
      ListenerConfig l = c.listeners().get(i);
      int backlog = r.backlogs().get(i);
      lines.add(row("listen", l.address() + "  backlog " + (l.backlog().isMax() ? "max = " + backlog : backlog)
          + " (net.core.somaxconn " + r.somaxconn() + ")" + (l.proxyProtocol() ? "  PROXY protocol" : "")));
      if (l.backlog().isMax() && backlog < LOW) {
        warnings.add("listen " + l.address() + ": backlog max is net.core.somaxconn, " + backlog + ", under " + LOW
            + ": connections arriving faster than Sluice accepts them overflow it; raise it: sysctl -w "
            + "net.core.somaxconn=4096 (persist in /etc/sysctl.d/; in docker compose: sysctls: "
            + "net.core.somaxconn: 4096)");
      }
    }

    QueueConfig q = c.queue();
    Optional<FdLimit> limit = fdLimit(fds);
    String fdText = limit.map(f -> "file descriptors: soft limit " + count(f.soft()) + ", hard " + count(f.hard()))
        .orElse("file descriptors: unknown");
    lines.add(row("queue", "max " + (q.max().isMax() ? "max = " + r.queueMax() + " (" + fdText + ")" : r.queueMax())
        + ", timeout " + Durations.format(q.timeout()) + ", discipline " + q.discipline().id()
        + (q.discipline() == QueueDiscipline.ADAPTIVE ? " (target " + Durations.format(q.target()) + ")" : "")));
    String raise = "raise the limit: LimitNOFILE= in the systemd unit, or ulimit -n";
    if (q.max().isMax() && r.queueMax() < LOW) {
      warnings.add("queue.max: max is what file descriptors allow, " + r.queueMax() + ", under " + LOW + " ("
          + fdText + "); " + raise);
    } else if (!q.max().isMax()) {
      int headroom = Policies.fdHeadroom(c, fds);
      if (headroom < q.max().value()) {
        warnings.add("queue.max: " + q.max().value() + " is more than file descriptors allow now (" + headroom
            + "; " + fdText + "): past that, new connections wait in the kernel's queue; " + raise);
      }
    }

    for (BackendConfig b : c.backends()) {
      lines.add(row("backend", b.name() + "  " + b.address() + "  " + b.protocol().id() + "  limit " + b.limit()
          + "  connect timeout " + Durations.format(b.connectTimeout()) + ", timeout " + Durations.format(b.timeout())
          + (b.protocol() == Protocol.UWSGI ? "  buffer " + b.bufferSize() + ", max vars " + b.maxVars() : "")));
    }

    ClientConfig cl = c.clients();
    lines.add(row("clients", "idle timeout " + Durations.format(cl.idleTimeout()) + ", body timeout "
        + Durations.format(cl.bodyTimeout()) + " (then at least " + size(cl.bodyMinRate()) + "/s), send timeout "
        + Durations.format(cl.sendTimeout()) + " (" + Durations.format(cl.heldSlotTimeout())
        + " holding a wanted slot), trusted proxies " + (cl.trustedProxies().isEmpty() ? "none"
        : cl.trustedProxies().stream().map(Object::toString).collect(Collectors.joining(" ")))
        + (c.forwarding().requestStart() ? ", X-Request-Start" : "")));

    BufferConfig bf = c.buffers();
    lines.add(row("buffers", size(bf.memory()) + " of a body in memory, " + size(bf.memoryTotal())
        + " of bodies in memory in all, " + size(bf.disk()) + " on disk in " + bf.tempDir() + "; bodies up to "
        + size(bf.maxBody())));

    lines.add(row("admin", c.admin().address().map(a -> a + ", " + (c.admin().token().isPresent()
        ? "token set" : "no token (this machine only)")).orElse("off")
        + c.admin().stateFile().map(p -> "; state file " + p + (Files.exists(p) ? " (its limits apply)"
        : " (none yet)")).orElse("")));
    lines.add(row("shutdown", "drain timeout " + Durations.format(c.drainTimeout())));
    return new ConfigSummary(lines, warnings);
  }

  /** The summary, then each warning on a line of its own. */
  String render() {
    StringBuilder sb = new StringBuilder();
    for (String l : lines) {
      sb.append(l).append('\n');
    }
    for (String w : warnings) {
      sb.append("warning: ").append(w).append('\n');
    }
    return sb.toString();
  }

  private static String row(String part, String text) {
    return String.format("  %-9s %s", part, text);
  }

  private static Optional<FdLimit> fdLimit(FdLimits fds) {
    try {
      return Optional.of(fds.current());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static String count(long n) {
    return n == FdLimit.UNLIMITED ? "unlimited" : Long.toString(n);
  }

  /** A byte count in the largest unit that divides it, as the configuration writes sizes. */
  static String size(long bytes) {
    long[] units = {1L << 30, 1L << 20, 1L << 10, 1_000_000_000L, 1_000_000L, 1000L};
    String[] names = {"GiB", "MiB", "KiB", "GB", "MB", "KB"};
    for (int i = 0; i < units.length; i++) {
      if (bytes >= units[i] && bytes % units[i] == 0) {
        return bytes / units[i] + names[i];
      }
    }
    if (bytes >= 1L << 20) {
      return String.format(Locale.ROOT, "%.1fMiB", bytes / (double) (1L << 20));
    }
    return bytes + "B";
  }
}
