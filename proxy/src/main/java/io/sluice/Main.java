package io.sluice;

import io.sluice.config.CommandLine;
import io.sluice.config.ConfigException;
import io.sluice.config.Invocation;
import io.sluice.config.SluiceConfig;
import io.sluice.log.LogFormat;
import io.sluice.runtime.StartupException;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * The {@code sluice} command: runs the proxy, {@code sluice check} (validates the configuration without starting) or
 * {@code sluice limits}. The demo and the spike tool ship in the demo
 * module's jar, whose entry point hands every other command line back to this one.
 *
 * <p>Exit status: 0 after a clean stop (SIGTERM or SIGINT drain the queue first), 2 for a refused flag or setting
 * (one line on standard error says which), 1 when Sluice cannot start.
 */
public final class Main {

  private Main() {
  }

  public static void main(String[] args) {
    LogFormat.setUp();
    PrintStream out = System.out;
    PrintStream err = System.err;
    if (args.length > 0 && (args[0].equals("demo") || args[0].equals("spike"))) {
      err.println("sluice: " + args[0] + " is in the demo jar (demo/target/sluice-demo.jar): run bin/sluice " + args[0]
          + ", or java -jar sluice-demo.jar " + args[0]);
      System.exit(2);
    }
    if (args.length > 0 && args[0].equals("check")) {
      System.exit(io.sluice.runtime.CheckCommand.run(Arrays.copyOfRange(args, 1, args.length), System.getenv(),
          version(), out, err));
    }
    if (args.length > 0 && args[0].equals("limits")) {
      System.exit(io.sluice.admin.LimitsCommand.run(Arrays.copyOfRange(args, 1, args.length), System.getenv(), out,
          err));
    }
    Invocation invocation;
    try {
      invocation = CommandLine.parse(args, System.getenv());
    } catch (ConfigException e) {
      err.println("sluice: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (invocation instanceof Invocation.Help) {
      out.print(CommandLine.usage());
      return;
    }
    if (invocation instanceof Invocation.Version) {
      out.println("sluice " + version());
      return;
    }
    SluiceConfig config = ((Invocation.Run) invocation).config();
    Sluice sluice;
    try {
      sluice = Sluice.start(config);
    } catch (StartupException e) {
      err.println("sluice: " + e.getMessage());
      System.exit(e.usage() ? 2 : 1);
      return;
    }
    sluice.stopOnSignal(() -> { });
  }

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "(development build)" : v;
  }
}
