package io.sluice.it;

import io.sluice.Sluice;
import io.sluice.config.Address;
import io.sluice.config.CommandLine;
import io.sluice.config.Invocation;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Sluice running in the test's JVM, on 127.0.0.1 with a port the kernel chose, admin off unless asked for. */
final class RunningProxy implements AutoCloseable {

  private final Sluice sluice;

  private RunningProxy(Sluice sluice) {
    this.sluice = sluice;
  }

  /** Starts Sluice with these command-line options (a listener on 127.0.0.1:0 unless one is given). */
  static RunningProxy start(String... options) throws Exception {
    List<String> args = new ArrayList<>(Arrays.asList(options));
    if (!args.contains("--listen")) {
      args.addAll(List.of("--listen", "127.0.0.1:0"));
    }
    if (!args.contains("--admin")) {
      args.addAll(List.of("--admin", "off"));
    }
    Invocation.Run run = (Invocation.Run) CommandLine.parse(args.toArray(String[]::new), Map.of());
    return new RunningProxy(Sluice.start(run.config()));
  }

  Sluice sluice() {
    return sluice;
  }

  int port() {
    return ((Address.Tcp) sluice.listenAddresses().get(0)).port();
  }

  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
  }

  /** The target the spike tool takes. */
  String url(String pathAndQuery) {
    return uri(pathAndQuery).toString();
  }

  @Override
  public void close() {
    sluice.stop(Duration.ofSeconds(2));
  }
}
