package io.sluice.demo;

import io.sluice.Sluice;
import io.sluice.config.Address;
import io.sluice.config.CommandLine;
import io.sluice.config.ConfigException;
import io.sluice.config.Invocation;
import io.sluice.net.Sockets;
import io.sluice.runtime.StartupException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code sluice demo [OPTIONS]}: a built-in backend that behaves like uWSGI with its defaults (a Unix socket with a
 * listen queue of 100, two workers of about 5 ms per request) and Sluice in front of it, then what to run to see a
 * spike refused by the backend alone and absorbed through Sluice. Takes the proxy's options, except
 * {@code --backend}.
 */
final class DemoCommand {

  private DemoCommand() {
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (CommandLine.givesBackend(args)) {
      err.println("sluice demo: --backend is not accepted (the demo brings its own backend)");
      return 2;
    }
    Path dir;
    DemoBackend backend;
    try {
      dir = Files.createTempDirectory("sluice-demo-");
      backend = DemoBackend.start(dir.resolve("app.sock"));
    } catch (IOException e) {
      err.println("sluice demo: cannot start the demo backend: " + e.getMessage());
      return 1;
    }
    List<String> all = new ArrayList<>(List.of("--backend", "demo=unix:" + dir.resolve("app.sock")));
    all.addAll(List.of(args));
    Sluice sluice;
    try {
      Invocation invocation = CommandLine.parse(all.toArray(String[]::new), System.getenv());
      if (!(invocation instanceof Invocation.Run run)) {
        out.print(CommandLine.usage());
        close(backend, dir);
        return 0;
      }
      sluice = Sluice.start(run.config());
    } catch (ConfigException e) {
      err.println("sluice demo: " + e.getMessage());
      close(backend, dir);
      return 2;
    } catch (StartupException e) {
      String hint = !e.getMessage().contains("in use") ? ""
          : e.getMessage().contains("admin API") ? " (choose another with --admin HOST:PORT, or --admin off)"
          : " (choose another with --listen :PORT)";
      err.println("sluice demo: " + e.getMessage() + hint);
      close(backend, dir);
      return e.usage() ? 2 : 1;
    }
    Address front = sluice.listenAddresses().get(0);
    String url = front instanceof Address.Tcp t ? httpUrl(t) : front.toString();
    String sock = "unix:" + dir.resolve("app.sock");
    out.println();
    out.println("Sluice demo is running.");
    out.println("  backend   " + sock + "   (listen queue " + backend.backlog() + ", " + backend.workers()
        + " workers of about 5 ms: uWSGI's defaults)");
    out.println("  Sluice    " + url + "   (in front of the backend)");
    sluice.adminAddress().ifPresent(admin -> out.println("  admin     " + adminUrl(admin)
        + "   (dashboard; API under /api/v1, metrics at /metrics; bin/sluice limits)"));
    out.println();
    out.println("Fire 2,000 concurrent requests straight at the backend (most are refused: its queue is full):");
    out.println("  bin/sluice spike -c 2000 " + sock);
    out.println("then the same spike through Sluice (every one is answered 200, after a short wait):");
    out.println("  bin/sluice spike -c 2000 " + url);
    out.println();
    out.println("Ctrl-C stops the demo.");
    out.flush();
    sluice.stopOnSignal(() -> close(backend, dir));
    return -1;
  }

  /** The dashboard's URL, or the Unix socket for {@code curl --unix-socket}. */
  private static String adminUrl(Address admin) {
    return admin instanceof Address.Tcp t ? httpUrl(t) : admin.toString();
  }

  private static String httpUrl(Address.Tcp t) {
    String host = Sockets.connectHost(t);
    return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + t.port() + "/";
  }

  private static void close(DemoBackend backend, Path dir) {
    try {
      backend.close();
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    } catch (IOException ignored) {
      // a temporary directory left behind is harmless
    }
  }
}
