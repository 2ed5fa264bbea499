package io.sluice.runtime;

import io.sluice.config.CommandLine;
import io.sluice.config.ConfigException;
import io.sluice.config.Invocation;
import io.sluice.kernel.FdLimits;
import io.sluice.kernel.Listeners;
import java.io.PrintStream;
import java.util.Map;

/**
 * {@code sluice check [OPTIONS]}: validates what {@code sluice [OPTIONS]} would start with, without starting it (no
 * socket is opened), the way {@code nginx -t} does. It takes the same options, reads the same file, and resolves
 * backlogs, the queue's bound and the state file's limits with the start's own code ({@link Resolved}).
 *
 * <p>Exit status and output:
 * <ul>
 *   <li>0: the summary on standard output ({@link ConfigSummary}); warnings, if any, after it, each on a line that
 *       starts with {@code warning:} (a backlog or a queue bound under 1,024 because of {@code net.core.somaxconn}
 *       or the descriptor limit, an explicit queue bound above what descriptors allow);</li>
 *   <li>2: a setting the start refuses (a bad flag or value, {@code FILE:LINE: key} for the file, a backlog above
 *       {@code net.core.somaxconn}, a bad state file), on standard error in the very line the start prints;</li>
 *   <li>1: what the start could not do either (read {@code net.core.somaxconn}, find a descriptor to spare).</li>
 * </ul>
 */
public final class CheckCommand {

  private CheckCommand() {
  }

  /** Checks on this machine. */
  public static int run(String[] args, Map<String, String> env, String version, PrintStream out, PrintStream err) {
    return run(args, env, version, out, err, Listeners.system(), FdLimits.system());
  }

  static int run(String[] args, Map<String, String> env, String version, PrintStream out, PrintStream err,
      Listeners kernel, FdLimits fds) {
    Invocation invocation;
    try {
      invocation = CommandLine.parse(args, env);
    } catch (ConfigException e) {
      err.println("sluice: " + e.getMessage());
      return 2;
    }
    if (invocation instanceof Invocation.Help) {
      out.print(CommandLine.usage());
      return 0;
    }
    if (invocation instanceof Invocation.Version) {
      out.println("sluice " + version);
      return 0;
    }
    try {
      Resolved resolved = Resolved.of(((Invocation.Run) invocation).config(), kernel, fds);
      out.print(ConfigSummary.of(resolved, fds).render());
      return 0;
    } catch (StartupException e) {
      err.println("sluice: " + e.getMessage());
      return e.usage() ? 2 : 1;
    }
  }
}
