package io.sluice.runtime;

import io.sluice.config.BackendConfig;
import io.sluice.config.LimitSetting;
import io.sluice.config.ListenerConfig;
import io.sluice.config.QueueDiscipline;
import io.sluice.config.SluiceConfig;
import io.sluice.kernel.FdLimit;
import io.sluice.kernel.FdLimits;
import io.sluice.kernel.Listeners;
import io.sluice.limit.AdaptiveLimit;
import io.sluice.limit.FixedLimit;
import io.sluice.limit.Limit;
import io.sluice.limit.LimitListener;
import io.sluice.queue.AdaptiveLine;
import io.sluice.queue.FifoLine;
import io.sluice.queue.WaitingLine;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How configured words become numbers: {@code backlog: max} is {@code net.core.somaxconn}, and an explicit backlog
 * above it is refused rather than silently truncated by the kernel; {@code queue.max: max} is what file descriptors
 * allow; {@code limit: auto} is an adaptive limit. Stateless; the methods that read the kernel block.
 */
final class Policies {

  private static final System.Logger LOG = System.getLogger(Policies.class.getName());

  /** What an {@code auto} limit is assumed to reach when reserving descriptors for backend connections. */
  private static final int AUTO_LIMIT_FD_ESTIMATE = 64;

  private Policies() {
  }

  /** {@code limit: auto} learns, telling {@code listener} of its moves; a number stays. */
  static Limit newLimit(LimitSetting setting, LimitListener listener) {
    return setting.isAuto() ? new AdaptiveLimit(listener) : new FixedLimit(setting.fixed());
  }

  /** The waiting line of a discipline: FIFO, or adaptive under sustained overload. */
  static WaitingLine newLine(QueueDiscipline discipline, int maxDepth, Duration timeout, Duration target) {
    return discipline == QueueDiscipline.ADAPTIVE
        ? new AdaptiveLine(maxDepth, timeout.toNanos(), target.toNanos())
        : new FifoLine(maxDepth, timeout.toNanos(), target.toNanos());
  }

  static int readSomaxconn(Listeners kernel) throws StartupException {
    try {
      return kernel.somaxconn();
    } catch (IOException e) {
      throw new StartupException("cannot read net.core.somaxconn: " + e.getMessage(), false);
    }
  }

  /** Each listener's backlog: {@code max} is {@code somaxconn}; an explicit value above it is refused. */
  static List<Integer> backlogs(SluiceConfig config, int somaxconn) throws StartupException {
    List<Integer> out = new ArrayList<>();
    for (ListenerConfig l : config.listeners()) {
      if (l.backlog().isMax()) {
        out.add(somaxconn);
      } else if (l.backlog().value() > somaxconn) {
        throw new StartupException(somaxconnMessage(l.backlog().value(), somaxconn), true);
      } else {
        out.add(l.backlog().value());
      }
    }
    return out;
  }

  /** Why an explicit backlog is refused, and how to raise the kernel's cap. */
  static String somaxconnMessage(int requested, int somaxconn) {
    return "backlog " + requested + " is above net.core.somaxconn (" + somaxconn + "), which Linux would silently"
        + " cap it to; use backlog: max, or raise it: sysctl -w net.core.somaxconn=" + requested
        + " (persist in /etc/sysctl.conf; in docker compose: sysctls: net.core.somaxconn: " + requested + ")";
  }

  /**
   * {@code queue.max: max} is what file descriptors allow: the soft RLIMIT_NOFILE (raised to the hard limit first),
   * less what is open now, less two per request a backend may have in flight, less a reserve of a sixteenth of the
   * limit (between 32 and 1024).
   */
  static int queueMax(SluiceConfig config, FdLimits fds) throws StartupException {
    if (!config.queue().max().isMax()) {
      return config.queue().max().value();
    }
    try {
      if (fds.raiseSoftToHard()) {
        LOG.log(Level.INFO, "raised the soft file-descriptor limit to the hard limit");
      }
    } catch (IOException e) {
      throw new StartupException("cannot read the file-descriptor limit: " + e.getMessage(), false);
    }
    int headroom = fdHeadroom(config, fds);
    if (headroom < 1) {
      throw new StartupException("too few file descriptors for queue.max: max; raise the limit (ulimit -n, or"
          + " LimitNOFILE= in the systemd unit)", false);
    }
    return headroom;
  }

  /** Descriptors left for waiting requests; 0 when they cannot be read. */
  static int fdHeadroom(SluiceConfig config, FdLimits fds) {
    try {
      FdLimit limit = fds.current();
      long soft = Math.min(limit.soft(), Integer.MAX_VALUE);
      // Kept back for listeners, logs, spill files, the admin API and clients still sending their request.
      long reserve = Math.max(32, Math.min(1024, soft / 16));
      long inFlight = 0;
      for (BackendConfig b : config.backends()) {
        inFlight += b.limit().isAuto() ? Math.min(AUTO_LIMIT_FD_ESTIMATE, soft / 16) : b.limit().fixed();
      }
      long headroom = soft - fds.openCount() - reserve - 2 * inFlight;
      return (int) Math.max(0, headroom);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot read the file-descriptor limit: " + e.getMessage());
      return 0;
    }
  }
}
