package io.sluice.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.CommandLine;
import io.sluice.config.ConfigException;
import io.sluice.kernel.FdLimit;
import io.sluice.kernel.FdLimits;
import io.sluice.kernel.ListenerSocket;
import io.sluice.kernel.Listeners;
import io.sluice.testing.FixedKernel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice check}: its summary, its warnings and its exit status, on fakes of the kernel's readings. */
class CheckCommandTest {

  private static final String TOKEN = "never-printed-7f3a";

  @TempDir
  Path dir;

  /** A kernel whose net.core.somaxconn is fixed; nothing is listening. */
  private static Listeners somaxconn(int value) {
    return new Listeners() {
      @Override
      public int somaxconn() {
        return value;
      }

      @Override
      public ListenerSocket findTcp(InetSocketAddress bound) throws IOException {
        throw new IOException("sluice check opens no socket");
      }

      @Override
      public ListenerSocket findUnix(Path path) throws IOException {
        throw new IOException("sluice check opens no socket");
      }

      @Override
      public void relisten(ListenerSocket socket, int backlog) throws IOException {
        throw new IOException("sluice check opens no socket");
      }
    };
  }

  /** A roomy descriptor limit: 65536, 100 open. */
  private static final FdLimits ROOMY = new FdLimits() {
    @Override
    public FdLimit current() {
      return new FdLimit(65536, 65536);
    }

    @Override
    public boolean raiseSoftToHard() {
      return false;
    }

    @Override
    public int openCount() {
      return 100;
    }
  };

  private record Run(int status, String out, String err) {
  }

  private Run check(Listeners kernel, FdLimits fds, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = CheckCommand.run(args, Map.of(), "1.2.3", new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), kernel, fds);
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Path yaml(String... lines) throws IOException {
    return Files.write(dir.resolve("sluice.yaml"), List.of(lines));
  }

  private Path example() throws IOException {
    return yaml(
        "listen:",
        "  - address: \":8080\"",
        "    backlog: max",
        "  - address: unix:/run/sluice/front.sock",
        "    backlog: 512",
        "    proxyProtocol: true",
        "queue:",
        "  max: 500",
        "  timeout: 30s",
        "  discipline: adaptive",
        "  target: 200ms",
        "backends:",
        "  - name: app",
        "    address: unix:/run/app/uwsgi.sock",
        "    protocol: uwsgi",
        "    limit: auto",
        "  - name: api",
        "    address: 10.0.0.5:8000",
        "    limit: 8",
        "    timeout: 2m",
        "admin:",
        "  address: 127.0.0.1:9901",
        "  token: " + TOKEN,
        "buffers:",
        "  memory: 64KiB",
        "  memoryTotal: 256MiB",
        "  disk: 2GiB",
        "  tempDir: /var/tmp",
        "clients:",
        "  trustedProxies: [10.0.0.0/8]");
  }

  @Test
  void aValidConfigurationIsSummarisedOnOneScreenAndExitsZero() throws IOException {
    Run r = check(somaxconn(4096), ROOMY, "--config", example().toString());
    assertEquals(0, r.status, r.err);
    assertEquals("", r.err);
    assertEquals(List.of(
        "sluice check: the configuration is valid; Sluice would start with:",
        "  listen    :8080  backlog max = 4096 (net.core.somaxconn 4096)",
        "  listen    unix:/run/sluice/front.sock  backlog 512 (net.core.somaxconn 4096)  PROXY protocol",
        "  queue     max 500, timeout 30s, discipline adaptive (target 200ms)",
        "  backend   app  unix:/run/app/uwsgi.sock  uwsgi  limit auto  connect timeout 5s, timeout 60s  buffer 4096,"
            + " max vars 64",
        "  backend   api  10.0.0.5:8000  http  limit 8  connect timeout 5s, timeout 120s",
        "  clients   idle timeout 60s, body timeout 60s (then at least 1KiB/s), send timeout 60s (1s holding a wanted slot), trusted proxies "
            + "10.0.0.0/8, X-Request-Start",
        "  buffers   64KiB of a body in memory, 256MiB of bodies in memory in all, 2GiB on disk in /var/tmp; bodies "
            + "up to 100MB",
        "  admin     127.0.0.1:9901, token set",
        "  shutdown  drain timeout 30s"), r.out.lines().toList());
    assertTrue(r.out.lines().count() < 25, "one screen");
  }

  @Test
  void theTokenIsNeverPrinted() throws IOException {
    for (String backlog : List.of("max", "8192")) {
      Run r = check(somaxconn(4096), new FixedKernel(Map.of()), "--config", example().toString(), "--queue-max",
          "max", "--backlog", backlog);
      assertFalse(r.out.contains(TOKEN) || r.err.contains(TOKEN), r.out + r.err);
    }
    Path file = Files.writeString(dir.resolve("token"), TOKEN + "\n");
    Run r = check(somaxconn(4096), ROOMY, "--backend", "unix:/run/app.sock", "--admin-token-file",
        file.toString());
    assertEquals(0, r.status, r.err);
    assertTrue(r.out.contains("  admin     127.0.0.1:9901, token set\n"), r.out);
    assertFalse(r.out.contains(TOKEN) || r.err.contains(TOKEN), r.out + r.err);
  }

  @Test
  void theQueueBoundFromDescriptorsIsShownWithTheLimit() {
    Run r = check(somaxconn(4096), ROOMY, "--backend", "app=unix:/run/app.sock", "--limit", "10");
    assertEquals(0, r.status, r.err);
    // 65536 - 100 open - 1024 reserved - 2 x 10 in flight
    assertTrue(r.out.contains("  queue     max max = 64392 (file descriptors: soft limit 65536, hard 65536), "
        + "timeout 60s, discipline adaptive (target 500ms)\n"), r.out);
    assertTrue(r.out.contains("  admin     127.0.0.1:9901, no token (this machine only)\n"), r.out);
    assertEquals("", r.err);
  }

  @Test
  void aBadFileExitsTwoWithTheStartsOwnLine() throws IOException {
    Path file = yaml(
        "backends:",
        "  - name: app",
        "    address: unix:/run/app.sock",
        "    limit: -3");
    Run r = check(somaxconn(4096), ROOMY, "--config", file.toString());
    assertEquals(2, r.status);
    assertEquals("", r.out);
    assertEquals("sluice: " + file + ":4: backends[0].limit: \"-3\" (expected: auto or an integer >= 1)\n", r.err);
    ConfigException atStart = assertThrows(ConfigException.class,
        () -> CommandLine.parse(new String[] {"--config", file.toString()}, Map.of()));
    assertEquals("sluice: " + atStart.getMessage() + "\n", r.err);
  }

  @Test
  void aBacklogAboveSomaxconnIsTheStartsErrorAndExitsTwo() throws IOException {
    Run r = check(somaxconn(4096), ROOMY, "--config", example().toString(), "--backlog", "8192");
    assertEquals(2, r.status);
    assertEquals("", r.out);
    assertEquals("sluice: " + Policies.somaxconnMessage(8192, 4096) + "\n", r.err);
    assertTrue(r.err.contains("net.core.somaxconn"), r.err);
  }

  @Test
  void aWrongFlagExitsTwo() {
    Run r = check(somaxconn(4096), ROOMY, "--backend", "unix:/run/app.sock", "--queue-max", "-3");
    assertEquals(2, r.status);
    assertEquals("sluice: --queue-max: \"-3\" (expected: max or an integer >= 1)\n", r.err);
    assertEquals(2, check(somaxconn(4096), ROOMY, "--config", dir.resolve("missing.yaml").toString()).status);
  }

  @Test
  void aLowSomaxconnIsAWarningAndStillZero() {
    Run r = check(somaxconn(128), ROOMY, "--backend", "unix:/run/app.sock", "--listen", ":8080");
    assertEquals(0, r.status, r.err);
    assertEquals(List.of("warning: listen :8080: backlog max is net.core.somaxconn, 128, under 1024: connections "
        + "arriving faster than Sluice accepts them overflow it; raise it: sysctl -w net.core.somaxconn=4096 "
        + "(persist in /etc/sysctl.d/; in docker compose: sysctls: net.core.somaxconn: 4096)"), warnings(r));
  }

  @Test
  void aQueueBoundLowBecauseOfDescriptorsIsAWarning() {
    // FixedKernel: soft limit 1024, 42 open
    Run r = check(somaxconn(4096), new FixedKernel(Map.of()), "--backend", "unix:/run/app.sock");
    assertEquals(0, r.status, r.err);
    List<String> w = warnings(r);
    assertEquals(1, w.size(), r.out);
    assertTrue(w.get(0).startsWith("warning: queue.max: max is what file descriptors allow, 790, under 1024 "
        + "(file descriptors: soft limit 1024, hard 4096); raise the limit: LimitNOFILE="), w.get(0));
  }

  @Test
  void aQueueBoundAboveWhatDescriptorsAllowIsAWarning() {
    Run r = check(somaxconn(4096), new FixedKernel(Map.of()), "--backend", "unix:/run/app.sock", "--queue-max",
        "5000");
    assertEquals(0, r.status, r.err);
    assertEquals(List.of("warning: queue.max: 5000 is more than file descriptors allow now (790; file descriptors: "
        + "soft limit 1024, hard 4096): past that, new connections wait in the kernel's queue; raise the limit: "
        + "LimitNOFILE= in the systemd unit, or ulimit -n"), warnings(r));
    assertEquals(List.of(), warnings(check(somaxconn(4096), new FixedKernel(Map.of()), "--backend",
        "unix:/run/app.sock", "--queue-max", "700")));
  }

  @Test
  void helpAndVersion() {
    Run help = check(somaxconn(4096), ROOMY, "--help");
    assertEquals(0, help.status);
    assertTrue(help.out.contains("sluice check [OPTIONS]"), help.out);
    Run version = check(somaxconn(4096), ROOMY, "--version");
    assertEquals("sluice 1.2.3\n", version.out);
  }

  private static List<String> warnings(Run r) {
    List<String> out = new ArrayList<>();
    r.out.lines().filter(l -> l.startsWith("warning: ")).forEach(out::add);
    return out;
  }
}
