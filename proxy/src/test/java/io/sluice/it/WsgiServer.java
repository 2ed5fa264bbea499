package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real gunicorn or uWSGI process (Debian's packages) serving {@code testapp.py} on a Unix socket in a temporary
 * directory. Where the package is missing the test is skipped, unless {@code SLUICE_REQUIRE_BACKENDS} is set (as
 * in CI), in which case it fails.
 */
final class WsgiServer implements AutoCloseable {

  private static final Path UWSGI_PLUGIN = Path.of("/usr/lib/uwsgi/plugins/python3_plugin.so");

  private final Process process;
  private final List<String> command;
  private final Path socket;
  private final Path log;

  private WsgiServer(Process process, List<String> command, Path socket, Path log) {
    this.process = process;
    this.command = command;
    this.socket = socket;
    this.log = log;
  }

  /** gunicorn with sync workers: one request per connection, answered {@code Connection: close}. */
  static WsgiServer gunicorn(Path dir, int workers, int backlog, String... extra) throws Exception {
    require("gunicorn", Path.of("/usr/bin/gunicorn"));
    Path socket = dir.resolve("gunicorn.sock");
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/gunicorn", "--bind", "unix:" + socket,
        "--workers", Integer.toString(workers), "--backlog", Integer.toString(backlog),
        "--chdir", app(dir).getParent().toString(), "--log-level", "warning", "--timeout", "120"));
    cmd.addAll(List.of(extra));
    cmd.add("testapp:application");
    return start(cmd, socket, dir.resolve("gunicorn.log"));
  }

  /** uWSGI speaking HTTP on a Unix socket ({@code --http-socket}), prefork. */
  static WsgiServer uwsgiHttp(Path dir, int processes, int listen, String... extra) throws Exception {
    return uwsgi(dir, "--http-socket", processes, listen, extra);
  }

  /** uWSGI speaking its binary protocol on a Unix socket ({@code --socket}), as behind nginx's uwsgi_pass. */
  static WsgiServer uwsgiProtocol(Path dir, int processes, int listen, String... extra) throws Exception {
    return uwsgi(dir, "--socket", processes, listen, extra);
  }

  private static WsgiServer uwsgi(Path dir, String socketFlag, int processes, int listen, String... extra)
      throws Exception {
    require("uwsgi-core", Path.of("/usr/bin/uwsgi"));
    require("uwsgi-plugin-python3", UWSGI_PLUGIN);
    Path socket = dir.resolve("uwsgi.sock");
    List<String> cmd = new ArrayList<>(List.of("/usr/bin/uwsgi", "--plugin", "python3", socketFlag,
        socket.toString(), "--master", "--processes", Integer.toString(processes), "--listen",
        Integer.toString(listen), "--wsgi-file", app(dir).toString(), "--die-on-term", "--need-app",
        "--disable-logging"));
    cmd.addAll(List.of(extra));
    return start(cmd, socket, dir.resolve("uwsgi.log"));
  }

  private static void require(String pkg, Path file) {
    if (Files.isReadable(file)) {
      return;
    }
    String required = System.getenv("SLUICE_REQUIRE_BACKENDS");
    if (required != null && !required.isEmpty()) {
      fail(file + " is missing: install Debian's " + pkg);
    }
    assumeTrue(false, file + " is missing (Debian package " + pkg + "): skipped");
  }

  private static Path app(Path dir) throws IOException {
    Path app = dir.resolve("testapp.py");
    if (!Files.exists(app)) {
      try (InputStream in = WsgiServer.class.getResourceAsStream("/it/testapp.py")) {
        Files.copy(in, app, StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return app;
  }

  private static WsgiServer start(List<String> cmd, Path socket, Path log) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    WsgiServer server = new WsgiServer(p, cmd, socket, log);
    try {
      eventually(() -> {
        if (!p.isAlive()) {
          fail(cmd.get(0) + " exited with " + p.exitValue() + ":\n" + server.logTail());
        }
        return Files.exists(socket) && accepts(socket) ? null : cmd.get(0) + " does not accept yet:\n"
            + server.logTail();
      });
    } catch (Exception | AssertionError e) {
      server.close();
      throw e;
    }
    return server;
  }

  private static boolean accepts(Path socket) {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Kills the server and all its processes with SIGKILL, as the OOM killer or a crash would, and waits until they
   * are gone; its socket file stays behind.
   */
  void kill() throws InterruptedException {
    List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
    all.add(process.toHandle());
    all.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle h : all) {
      h.onExit().join();
    }
  }

  /** The same server started again (after {@link #kill}), on the same socket; waits until it accepts. */
  WsgiServer startAgain() throws Exception {
    return start(command, socket, log);
  }

  Path socket() {
    return socket;
  }

  /** The socket as a Sluice address. */
  String address() {
    return "unix:" + socket;
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
