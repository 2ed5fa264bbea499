package io.sluice.runtime;

import io.sluice.admin.StateFile;
import io.sluice.config.ConfigException;
import io.sluice.config.SluiceConfig;
import io.sluice.kernel.FdLimits;
import io.sluice.kernel.Listeners;
import java.io.IOException;
import java.util.List;

/**
 * What a configuration comes to on this machine, before anything is opened: the limits of {@code admin.stateFile}
 * over the configuration's, each listener's backlog ({@code max} is {@code net.core.somaxconn}; an explicit value
 * above it is refused), and the queue's bound ({@code max} is what file descriptors allow). The start applies it;
 * {@code sluice check} shows it. Resolving blocks (it reads the kernel and the state file).
 *
 * @param config    the configuration with the state file's limits
 * @param somaxconn {@code net.core.somaxconn} as read
 * @param backlogs  each listener's backlog, in configuration order
 * @param queueMax  the queue's bound
 */
record Resolved(SluiceConfig config, int somaxconn, List<Integer> backlogs, int queueMax) {

  Resolved {
    backlogs = List.copyOf(backlogs);
  }

  /**
   * Resolves as the start does. Raises the soft descriptor limit to the hard one first, as the start does, when the
   * queue is bounded by descriptors.
   *
   * @throws StartupException with the start's one-line message: {@link StartupException#usage()} for a refused
   *     setting (exit 2), else a failure to read the kernel or the state file (exit 1)
   */
  static Resolved of(SluiceConfig configured, Listeners kernel, FdLimits fds) throws StartupException {
    SluiceConfig config;
    try {
      config = StateFile.overlay(configured);
    } catch (ConfigException e) {
      throw new StartupException("admin.stateFile " + e.getMessage(), true);
    } catch (IOException e) {
      throw new StartupException("admin.stateFile " + e.getMessage(), false);
    }
    int somaxconn = Policies.readSomaxconn(kernel);
    List<Integer> backlogs = Policies.backlogs(config, somaxconn);
    return new Resolved(config, somaxconn, backlogs, Policies.queueMax(config, fds));
  }
}
