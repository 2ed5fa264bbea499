package io.sluice.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release archive as an operator meets it: unpacked with {@code tar} into an empty directory, run from there with
 * only a Java runtime, nothing of the source tree or of Maven in reach.
 */
class ReleaseArchiveIT {

  private static final Path ARCHIVE = Path.of(Objects.requireNonNull(System.getProperty("sluice.archive"),
      "system property sluice.archive (set by the dist module's pom)"));
  private static final String VERSION = Objects.requireNonNull(System.getProperty("sluice.version"),
      "system property sluice.version (set by the dist module's pom)");
  private static final String TOP = "sluice-" + VERSION;

  @TempDir
  Path tmp;
  private Path home;

  @BeforeEach
  void unpack() throws Exception {
    Result tar = run(List.of("tar", "-xzf", ARCHIVE.toString(), "-C", tmp.toString()), Map.of());
    assertEquals(0, tar.status, tar.err);
    home = tmp.resolve(TOP);
  }

  @Test
  void everythingSitsUnderOneVersionedDirectory() throws Exception {
    Result list = run(List.of("tar", "-tzf", ARCHIVE.toString()), Map.of());
    assertEquals(0, list.status, list.err);
    List<String> entries = list.out.lines().collect(Collectors.toList());
    for (String entry : entries) {
      assertTrue(entry.equals(TOP + "/") || entry.startsWith(TOP + "/"), entry + " is outside " + TOP + "/");
    }
    for (String file : List.of("bin/sluice", "lib/sluice.jar", "lib/java-options.sh", "README.md", "conf/sluice.yaml", "conf/uwsgi.ini",
        "conf/gunicorn.conf.py", "conf/sluice.service", "conf/grafana/sluice-dashboard.json",
        "conf/prometheus/prometheus.yml", "conf/kubernetes/sluice-sidecar.yaml",
        "conf/kubernetes/keda-scaledobject.yaml")) {
      assertTrue(entries.contains(TOP + "/" + file), file + " missing from " + entries);
      assertTrue(Files.isRegularFile(home.resolve(file)), file + " not unpacked");
    }
    assertTrue(Files.isExecutable(home.resolve("bin/sluice")), "bin/sluice is not executable once unpacked");
  }

  @Test
  void versionPrintsTheProjectVersion() throws Exception {
    Result r = sluice(List.of("--version"), javaHome());
    assertEquals(0, r.status, r.err);
    assertEquals("sluice " + VERSION + "\n", r.out);
  }

  @Test
  void helpListsTheOptions() throws Exception {
    Result r = sluice(List.of("--help"), javaHome());
    assertEquals(0, r.status, r.err);
    assertTrue(r.out.startsWith("Usage: sluice"), r.out);
    for (String flag : List.of("--config FILE", "--listen ADDR", "--backend", "--admin ADDR", "--version",
        "sluice check [OPTIONS]")) {
      assertTrue(r.out.contains(flag), flag + " not in:\n" + r.out);
    }
  }

  @Test
  void checkAcceptsTheShippedConfiguration() throws Exception {
    Result r = sluice(List.of("check", "--config", home.resolve("conf/sluice.yaml").toString()), javaHome());
    assertEquals(0, r.status, r.out + r.err);
    assertTrue(r.out.startsWith("sluice check: the configuration is valid"), r.out);
    assertTrue(r.out.contains("  backend   app  unix:/run/app/uwsgi.sock  uwsgi  limit auto"), r.out);
  }

  @Test
  void checkRefusesALimitOfMinusThreeNamingTheLineAndTheKey() throws Exception {
    List<String> lines = Files.readAllLines(home.resolve("conf/sluice.yaml"), StandardCharsets.UTF_8);
    int at = -1;
    for (int i = 0; i < lines.size() && at < 0; i++) {
      if (lines.get(i).trim().startsWith("limit: auto")) {
        at = i;
      }
    }
    assertTrue(at >= 0, "conf/sluice.yaml sets no limit: " + lines);
    lines.set(at, lines.get(at).replace("limit: auto", "limit: -3"));
    Path copy = Files.write(tmp.resolve("limit-minus-three.yaml"), lines, StandardCharsets.UTF_8);
    Result r = sluice(List.of("check", "--config", copy.toString()), javaHome());
    assertEquals(2, r.status, r.out + r.err);
    assertEquals("sluice: " + copy + ":" + (at + 1) + ": backends[0].limit: \"-3\" (expected: auto or an integer "
        + ">= 1)\n", r.err);
    assertEquals("", r.out);
  }

  @Test
  void aWrongFlagGetsOneLineAndStatusTwo() throws Exception {
    Result r = sluice(List.of("--no-such-flag"), javaHome());
    assertEquals(2, r.status, r.out + r.err);
    assertEquals(1, r.err.lines().count(), r.err);
    assertTrue(r.err.contains("--no-such-flag"), r.err);
  }

  @Test
  void findsJavaOnThePathWithoutJavaHome() throws Exception {
    String path = Path.of(System.getProperty("java.home"), "bin") + ":/usr/bin:/bin";
    Result r = sluice(List.of("--version"), Map.of("PATH", path));
    assertEquals(0, r.status, r.err);
    assertEquals("sluice " + VERSION + "\n", r.out);
  }

  @Test
  void runsThroughASymlinkFromAnotherDirectory() throws Exception {
    Path links = Files.createDirectory(tmp.resolve("usr-local-bin"));
    Path link = Files.createSymbolicLink(links.resolve("sluice"), home.resolve("bin/sluice"));
    Result r = run(List.of(link.toString(), "--version"), javaHome());
    assertEquals(0, r.status, r.err);
    assertEquals("sluice " + VERSION + "\n", r.out);
  }

  @Test
  void passesSluiceJavaOptsAndExitsOnOutOfMemory() throws Exception {
    Map<String, String> env = new java.util.HashMap<>(javaHome());
    env.put("SLUICE_JAVA_OPTS", "-XX:+PrintCommandLineFlags -Xmx96m");
    Result r = sluice(List.of("--version"), env);
    assertEquals(0, r.status, r.err);
    List<String> flags = Arrays.asList(r.out.lines().findFirst().orElse("").split(" "));
    assertTrue(flags.contains("-XX:+ExitOnOutOfMemoryError"), "JVM flags: " + flags);
    assertTrue(flags.contains("-XX:MaxHeapSize=" + 96 * 1024 * 1024), "JVM flags: " + flags);
    assertTrue(r.out.endsWith("sluice " + VERSION + "\n"), r.out);
  }

  @Test
  void theFirstRunBuildsTheClassArchiveAndLaterRunsMapTheirClassesFromIt() throws Exception {
    Path archive = home.resolve("lib/sluice.jsa");
    Result first = sluice(List.of("--version"), withClassArchive());
    assertEquals(0, first.status, first.err);
    assertEquals("sluice " + VERSION + "\n", first.out);
    assertEquals("sluice: building the class archive " + archive + " (once per jar and Java runtime) ...\n", first.err);
    assertTrue(Files.size(archive) > 0, "no archive at " + archive);

    Path loaded = tmp.resolve("class-load.txt");
    Result second = sluice(List.of("--version"),
        withClassArchive("SLUICE_JAVA_OPTS", "-Xlog:class+load=info:file=" + loaded));
    assertEquals(0, second.status, second.err);
    assertEquals("sluice " + VERSION + "\n", second.out);
    assertEquals("", second.err, "built again");
    String log = Files.readString(loaded);
    assertTrue(log.contains("io.sluice.Main source: shared objects file (top)"), "not from "
        + archive + ": " + log.lines().filter(l -> l.contains("io.sluice.")).limit(5).collect(Collectors.toList()));
  }

  @Test
  void aNewJarGetsANewClassArchive() throws Exception {
    Path archive = home.resolve("lib/sluice.jsa");
    assertEquals(0, sluice(List.of("--version"), withClassArchive()).status);
    Files.setLastModifiedTime(archive, java.nio.file.attribute.FileTime.fromMillis(0));
    Result r = sluice(List.of("--version"), withClassArchive());
    assertEquals(0, r.status, r.err);
    assertTrue(r.err.startsWith("sluice: building the class archive"), r.err);
    assertTrue(Files.getLastModifiedTime(archive).toMillis() > 0, "not rebuilt");
  }

  @Test
  void anArchiveTheRuntimeCannotUseIsSaidOnStandardErrorAndSluiceRunsWithoutIt() throws Exception {
    // An installation moved after its first run: the archive names the jar where it was, so the JVM cannot use it.
    assertEquals(0, sluice(List.of("--version"), withClassArchive()).status);
    Path moved = tmp.resolve("moved");
    assertEquals(0, run(List.of("cp", "-a", home.toString(), moved.toString()), Map.of()).status);
    Result r = run(List.of(moved.resolve("bin/sluice").toString(), "--version"), withClassArchive());
    assertEquals(0, r.status, r.err);
    assertEquals("sluice " + VERSION + "\n", r.out, "the JVM's warning on standard output");
    assertTrue(r.err.contains("Unable to use shared archive") && r.err.contains(moved + "/lib/sluice.jsa"), r.err);
  }

  @Test
  void onJava25AndLaterTheArchiveIsAnAotCacheAndSluiceServesWithoutAWarning() throws Exception {
    Path newer = newerJava(25);
    Path archive = home.resolve("lib/sluice.aot");
    Result first = sluice(List.of("--version"), withClassArchive("JAVA_HOME", newer.toString()));
    assertEquals(0, first.status, first.err);
    assertEquals("sluice: building the class archive " + archive + " (once per jar and Java runtime) ...\n", first.err);
    assertTrue(Files.size(archive) > 0, "no archive at " + archive);
    assertFalse(Files.exists(home.resolve("lib/sluice.jsa")), "a class archive of the other kind");

    // Netty and jnr load native libraries and Netty uses sun.misc.Unsafe: allowed, so the JVM warns of neither.
    Path loaded = tmp.resolve("class-load.txt");
    Map<String, String> env = withClassArchive("JAVA_HOME", newer.toString(),
        "SLUICE_JAVA_OPTS", "-Xlog:class+load=info:file=" + loaded);
    assertEquals(newer.resolve("bin/java").toRealPath().toString(), serveAndStop(env));
    assertFalse(log().contains("WARNING"), log());
    String classes = Files.readString(loaded);
    assertTrue(classes.contains("io.sluice.Main source: shared objects file"), "not from " + archive + ": "
        + classes.lines().filter(l -> l.contains("io.sluice.")).limit(5).collect(Collectors.toList()));
  }

  @Test
  void withTheClassArchiveOffNoneIsBuilt() throws Exception {
    Result r = sluice(List.of("--version"), javaHome());
    assertEquals(0, r.status, r.err);
    assertEquals("", r.err);
    assertFalse(Files.exists(home.resolve("lib/sluice.jsa")));
  }

  @Test
  void neverBuildsWhenTheJarIsMissing() throws Exception {
    Files.delete(home.resolve("lib/sluice.jar"));
    Result r = sluice(List.of("--version"), javaHome());
    assertEquals(1, r.status, r.out + r.err);
    assertEquals("", r.out);
    assertEquals(1, r.err.lines().count(), r.err);
    assertTrue(r.err.contains("lib/sluice.jar is missing"), r.err);
    assertFalse(Files.exists(home.resolve("lib/sluice.jar")));
  }

  @Test
  void saysSoWhenThereIsNoJava() throws Exception {
    // A PATH with what the launcher itself runs, and no java.
    Path bin = Files.createDirectory(tmp.resolve("no-java-bin"));
    for (String tool : List.of("bash", "readlink", "dirname")) {
      Path real = Path.of("/usr/bin", tool);
      Files.createSymbolicLink(bin.resolve(tool), Files.exists(real) ? real : Path.of("/bin", tool));
    }
    Result r = sluice(List.of("--version"), Map.of("PATH", bin.toString()));
    assertEquals(1, r.status, r.out + r.err);
    assertEquals(1, r.err.lines().count(), r.err);
    assertTrue(r.err.contains("no Java runtime found"), r.err);
  }

  @Test
  void servesAsTheJavaProcessItselfAndStopsCleanlyOnSigterm() throws Exception {
    // The launcher execs Java: signals from systemd or the container runtime reach the JVM, not a shell.
    String command = serveAndStop(javaHome());
    assertTrue(command.endsWith("/java"), "the launcher's process runs " + command);
  }

  /**
   * Runs the launcher with exactly {@code env} until its admin API answers {@code /healthz}, then stops it with SIGTERM
   * and checks that it exited 0; its output is in {@link #log()}.
   *
   * @return the command of the launcher's process once it served
   */
  private String serveAndStop(Map<String, String> env) throws Exception {
    Path admin = tmp.resolve("admin.sock");
    String command;
    ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/sluice").toString(),
        "--listen", "unix:" + tmp.resolve("front.sock"), "--backend", "unix:" + tmp.resolve("app.sock"),
        "--admin", "unix:" + admin).directory(tmp.toFile()).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("sluice.log").toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      String health = "";
      for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          !health.startsWith("HTTP/1.1 200") && System.nanoTime() < deadline; Thread.sleep(100)) {
        assertTrue(p.isAlive(), "exited with " + (p.isAlive() ? "" : p.exitValue()) + ": " + log());
        health = Files.exists(admin) ? get(admin, "/healthz") : "";
      }
      assertTrue(health.startsWith("HTTP/1.1 200"), health + log());
      command = p.info().command().orElse("");
    } finally {
      // A launcher that failed to exec would leave its Java child behind.
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    assertEquals(0, p.exitValue(), log());
    return command;
  }

  private String log() throws IOException {
    return Files.readString(tmp.resolve("sluice.log"));
  }

  private static String get(Path socket, String path) {
    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      ch.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII)));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(4096);
      while (ch.read(buf) >= 0) {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      return out.toString(StandardCharsets.UTF_8);
    } catch (IOException notListeningYet) {
      return "";
    }
  }

  @Test
  void theSystemdUnitRunsThisLayout() throws Exception {
    List<String> unit = Files.readAllLines(home.resolve("conf/sluice.service"), StandardCharsets.UTF_8);
    List<String> execStart = unit.stream().filter(l -> l.startsWith("ExecStart=")).collect(Collectors.toList());
    assertEquals(1, execStart.size(), "one ExecStart= in " + unit);
    String[] words = execStart.get(0).substring("ExecStart=".length()).trim().split("\\s+");
    String prefix = "/opt/sluice/";
    assertTrue(words[0].startsWith(prefix), words[0]);
    Path launcher = home.resolve(words[0].substring(prefix.length()));
    assertTrue(Files.isExecutable(launcher), words[0] + " is not the archive's launcher");
    assertEquals(home.resolve("bin/sluice"), launcher);
    int config = Arrays.asList(words).indexOf("--config");
    assertTrue(config > 0 && config + 1 < words.length, "ExecStart names no --config: " + execStart);
  }

  @Test
  void systemdAcceptsTheUnit() throws Exception {
    Path analyze = Path.of("/usr/bin/systemd-analyze");
    assumeTrue(Files.isExecutable(analyze), "systemd-analyze is not installed");
    // Checked where it will run: its ExecStart pointed at this unpacked copy instead of /opt/sluice.
    String unit = Files.readString(home.resolve("conf/sluice.service")).replace("/opt/sluice/", home + "/");
    Path dir = Files.createDirectory(tmp.resolve("units"));
    Path copy = Files.writeString(dir.resolve("sluice.service"), unit);
    Result r = run(List.of(analyze.toString(), "verify", copy.toString()), javaHome());
    assertEquals(0, r.status, r.out + r.err);
    assertEquals("", r.out + r.err, "systemd-analyze verify has warnings");
  }

  /**
   * A Java runtime, and no class archive: the first run of each freshly unpacked copy would build one, which the
   * class-archive tests look at on their own.
   */
  private Map<String, String> javaHome() {
    return Map.of("JAVA_HOME", System.getProperty("java.home"), "PATH", "/usr/bin:/bin", "SLUICE_CLASS_ARCHIVE", "off");
  }

  /**
   * A Java runtime of feature version {@code feature} or later under /usr/lib/jvm (the newest), beside the one the
   * tests run on; the test is skipped where there is none.
   */
  private static Path newerJava(int feature) throws IOException {
    Path best = null;
    int bestFeature = 0;
    try (var homes = Files.list(Path.of("/usr/lib/jvm"))) {
      for (Path home : (Iterable<Path>) homes::iterator) {
        Path release = home.resolve("release");
        if (!Files.isRegularFile(release) || !Files.isExecutable(home.resolve("bin/java"))) {
          continue;
        }
        Matcher m = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)")
            .matcher(Files.readString(release));
        int f = m.find() ? Integer.parseInt(m.group(1)) : 0;
        if (f >= feature && f > bestFeature) {
          best = home;
          bestFeature = f;
        }
      }
    } catch (NoSuchFileException none) {
      // no /usr/lib/jvm
    }
    assumeTrue(best != null, "no Java " + feature + " or later under /usr/lib/jvm");
    return best;
  }

  /** {@link #javaHome()} with the class archive on (the default) and {@code more} set. */
  private Map<String, String> withClassArchive(String... more) {
    Map<String, String> env = new java.util.HashMap<>(javaHome());
    env.remove("SLUICE_CLASS_ARCHIVE");
    for (int i = 0; i < more.length; i += 2) {
      env.put(more[i], more[i + 1]);
    }
    return env;
  }

  private Result sluice(List<String> args, Map<String, String> env) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/sluice").toString());
    command.addAll(args);
    return run(command, env);
  }

  /** Runs {@code command} in {@link #tmp} with exactly {@code env} (plus HOME), so nothing leaks in from Maven's. */
  private Result run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile());
    pb.environment().clear();
    pb.environment().put("HOME", tmp.toString());
    if (!env.containsKey("PATH")) {
      pb.environment().put("PATH", "/usr/bin:/bin");
    }
    pb.environment().putAll(env);
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command + " still running after 60 s");
    }
    Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    Files.delete(out);
    Files.delete(err);
    return r;
  }

  private record Result(int status, String out, String err) {
  }
}
