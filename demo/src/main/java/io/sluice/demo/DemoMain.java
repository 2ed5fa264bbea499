package io.sluice.demo;

import io.sluice.Main;
import io.sluice.log.LogFormat;
import java.util.Arrays;

/**
 * The entry point of {@code sluice-demo.jar}: {@code demo} and {@code spike}, the two commands that ship apart from
 * the proxy; any other command line is the proxy's own ({@link Main}).
 */
public final class DemoMain {

  private DemoMain() {
  }

  public static void main(String[] args) {
    String command = args.length > 0 ? args[0] : "";
    if (!command.equals("demo") && !command.equals("spike")) {
      Main.main(args);
      return;
    }
    LogFormat.setUp();
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    int status = command.equals("spike") ? Spike.run(rest, System.out) : DemoCommand.run(rest, System.out, System.err);
    // The demo keeps running (its shutdown hook ends the process); every other outcome is an exit status.
    if (status >= 0) {
      System.exit(status);
    }
  }
}
