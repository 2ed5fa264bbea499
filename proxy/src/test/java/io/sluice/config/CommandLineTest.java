package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class CommandLineTest {

  private static final Address.Unix APP = new Address.Unix(Path.of("/run/app.sock"));

  @TempDir
  Path dir;

  private static SluiceConfig run(Map<String, String> env, String... args) {
    return assertInstanceOf(Invocation.Run.class, CommandLine.parse(args, env)).config();
  }

  private static SluiceConfig run(String... args) {
    return run(Map.of(), args);
  }

  private String file(String yaml) throws IOException {
    Path file = dir.resolve("sluice.yaml");
    Files.writeString(file, yaml);
    return file.toString();
  }

  @Test
  void defaultsAroundOneBackend() {
    SluiceConfig c = run("--backend", "unix:/run/app.sock");
    assertEquals(new SluiceConfig(
        List.of(new ListenerConfig(new Address.Tcp("", 8080), MaxOr.MAX)),
        new QueueConfig(MaxOr.MAX, Duration.ofSeconds(60)),
        List.of(BackendConfig.of("default", APP, Protocol.HTTP, LimitSetting.AUTO)),
        AdminConfig.defaults(),
        BufferConfig.defaults(),
        Duration.ofSeconds(30),
        ClientConfig.DEFAULTS), c);
  }

  @Test
  void everyFlag() {
    SluiceConfig c = run(Map.of(), "--listen", ":80", "--listen=unix:/run/sluice.sock", "--backlog", "2048",
        "--backend", "app=unix:/run/app.sock", "--backend=10.0.0.2:8000", "--protocol", "uwsgi", "--limit=4",
        "--queue-max", "100", "--queue-timeout", "5s", "--admin", "unix:/run/admin.sock", "--admin-token", "t",
        "--max-body", "1MiB", "--drain-timeout", "0s");
    assertEquals(new SluiceConfig(
        List.of(new ListenerConfig(new Address.Tcp("", 80), MaxOr.of(2048)),
            new ListenerConfig(new Address.Unix(Path.of("/run/sluice.sock")), MaxOr.of(2048))),
        new QueueConfig(MaxOr.of(100), Duration.ofSeconds(5)),
        List.of(BackendConfig.of("app", APP, Protocol.UWSGI, LimitSetting.of(4)),
            BackendConfig.of("b2", new Address.Tcp("10.0.0.2", 8000), Protocol.UWSGI, LimitSetting.of(4))),
        new AdminConfig(Optional.of(new Address.Unix(Path.of("/run/admin.sock"))), Optional.of("t"), Optional.empty()),
        new BufferConfig(BufferConfig.DEFAULT_MEMORY, 1 << 20, BufferConfig.defaults().tempDir()),
        Duration.ZERO,
        ClientConfig.DEFAULTS), c);
  }

  @Test
  void unnamedBackendsAreNamedByPosition() {
    List<String> names = new ArrayList<>();
    for (BackendConfig b : run("--backend", "unix:/a", "--backend", "x=unix:/b", "--backend", "unix:/c=d").backends()) {
      names.add(b.name() + " " + b.address());
    }
    assertEquals(List.of("default unix:/a", "x unix:/b", "b3 unix:/c=d"), names);
  }

  @Test
  void aRepeatedFlagKeepsItsLastValue() {
    assertEquals(MaxOr.of(2), run("--backend", "unix:/a", "--queue-max", "1", "--queue-max=2").queue().max());
  }

  static Stream<Arguments> badArguments() {
    return Stream.of(
        Arguments.of(List.of(), "no backend configured (expected: --backend ADDR or backends: in --config FILE)"),
        Arguments.of(List.of("--foo"), "unknown option --foo (run sluice --help for the options)"),
        Arguments.of(List.of("--foo=bar"), "unknown option --foo (run sluice --help for the options)"),
        Arguments.of(List.of("-x"), "unknown option -x (run sluice --help for the options)"),
        Arguments.of(List.of("--", "--backend"),
            "unexpected argument \"--backend\" (run sluice --help for the options and commands)"),
        Arguments.of(List.of("--backend", "unix:/a", "extra"),
            "unexpected argument \"extra\" (run sluice --help for the options and commands)"),
        Arguments.of(List.of("--foo", "--bar"), "unknown option --foo (run sluice --help for the options)"),
        Arguments.of(List.of("--listen"), "--listen: missing value (expected: HOST:PORT, :PORT or unix:/path)"),
        Arguments.of(List.of("--listen", "--backend", "unix:/a"),
            "--listen: missing value (expected: HOST:PORT, :PORT or unix:/path)"),
        Arguments.of(List.of("--backend"),
            "--backend: missing value (expected: [NAME=]unix:/path or [NAME=]HOST:PORT)"),
        Arguments.of(List.of("--queue-max", "-3"), "--queue-max: \"-3\" (expected: max or an integer >= 1)"),
        Arguments.of(List.of("--queue-max=-3"), "--queue-max: \"-3\" (expected: max or an integer >= 1)"),
        Arguments.of(List.of("--backlog", "0"), "--backlog: \"0\" (expected: max or an integer >= 1)"),
        Arguments.of(List.of("--listen", "localhost"),
            "--listen: \"localhost\" has no port (expected: HOST:PORT, :PORT or unix:/path)"),
        Arguments.of(List.of("--listen", "::1:80"),
            "--listen: \"::1:80\": put an IPv6 host in brackets, as [::1]:8080"),
        Arguments.of(List.of("--listen=:70000"),
            "--listen: \":70000\": port 70000 is out of range (expected: 0 to 65535)"),
        Arguments.of(List.of("--backend", ":8000"),
            "--backend: \":8000\" has no host (expected: unix:/path or HOST:PORT, such as 127.0.0.1:8000)"),
        Arguments.of(List.of("--backend", "unix:"),
            "--backend: \"unix:\" has no socket path (expected: unix:/path or HOST:PORT)"),
        Arguments.of(List.of("--backend", "my app=unix:/a"),
            "--backend: name \"my app\" (expected: 1 to 64 letters, digits, '_', '.' or '-')"),
        Arguments.of(List.of("--backend", "=unix:/a"),
            "--backend: name \"\" (expected: 1 to 64 letters, digits, '_', '.' or '-')"),
        Arguments.of(List.of("--backend", "app=unix:/a", "--backend", "app=unix:/b"), "--backend: name \"app\" is "
            + "used twice (expected: a unique NAME= for each --backend; unnamed ones are default, b2, b3... "
            + "by position)"),
        Arguments.of(List.of("--backend", "unix:/a", "--backend", "default=unix:/b"), "--backend: name \"default\" "
            + "is used twice (expected: a unique NAME= for each --backend; unnamed ones are default, b2, b3... "
            + "by position)"),
        Arguments.of(List.of("--protocol", "fastcgi"), "--protocol: \"fastcgi\" (expected: http or uwsgi)"),
        Arguments.of(List.of("--limit", "0"), "--limit: \"0\" (expected: auto or an integer >= 1)"),
        Arguments.of(List.of("--queue-timeout", "0s"),
            "--queue-timeout: \"0s\" (expected: a duration above zero, such as 500ms, 30s, 2m or 1h)"),
        Arguments.of(List.of("--drain-timeout", "5"),
            "--drain-timeout: \"5\" (expected: a duration such as 500ms, 30s, 2m or 1h)"),
        Arguments.of(List.of("--max-body", "1XB"),
            "--max-body: \"1XB\" (expected: a size such as 65536, 512KiB, 100MB or 1GiB)"),
        Arguments.of(List.of("--admin", "0.0.0.0"),
            "--admin: \"0.0.0.0\" (expected: HOST:PORT, :PORT, unix:/path or off)"),
        Arguments.of(List.of("--admin-token="), "--admin-token: \"\" (expected: a non-empty token)"),
        Arguments.of(List.of("--config="), "--config: \"\" (expected: a YAML file)"),
        Arguments.of(List.of("--version=2"), "--version: \"2\" (expected: no value)"),
        Arguments.of(List.of("--backend", "unix:/a", "--admin", "0.0.0.0:9901"), "--admin: \"0.0.0.0:9901\" is not a "
            + "loopback address, so a token is required (expected: --admin-token TOKEN or SLUICE_ADMIN_TOKEN, or bind "
            + "to 127.0.0.1)"),
        Arguments.of(List.of("--backend", "unix:/a", "--admin", ":9901"), "--admin: \":9901\" is not a loopback "
            + "address, so a token is required (expected: --admin-token TOKEN or SLUICE_ADMIN_TOKEN, or bind to "
            + "127.0.0.1)"),
        Arguments.of(List.of("--backend", "unix:/a", "--admin", "[::]:9901"), "--admin: \"[::]:9901\" is not a "
            + "loopback address, so a token is required (expected: --admin-token TOKEN or SLUICE_ADMIN_TOKEN, or bind "
            + "to 127.0.0.1)"));
  }

  @ParameterizedTest
  @MethodSource("badArguments")
  void badArgumentsAreRefusedWithOneLine(List<String> args, String message) {
    assertEquals(message,
        assertThrows(ConfigException.class, () -> CommandLine.parse(args.toArray(String[]::new), Map.of()))
            .getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1:9901", "127.1.2.3:1", "localhost:9901", "[::1]:9901", "[0:0:0:0:0:0:0:1]:9",
      "unix:/run/admin.sock", "off"})
  void adminWithoutTokenOnThisMachineOnly(String admin) {
    assertEquals(Optional.empty(), run("--backend", "unix:/a", "--admin", admin).admin().token());
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0:1", ":1", "[::]:1", "10.0.0.1:1", "128.0.0.1:1", "127.0.0.256:1", "127.0.0:1",
      "example.com:1", "localhost.example.com:1", "[fe80::1]:1"})
  void reachableAdminAddressesNeedAToken(String admin) {
    assertThrows(ConfigException.class, () -> run("--backend", "unix:/a", "--admin", admin));
    assertEquals(Optional.of("t"), run("--backend", "unix:/a", "--admin", admin, "--admin-token", "t").admin().token());
  }

  @Test
  void tokenFromFlagThenEnvironmentThenFile() throws IOException {
    String config = file("backends:\n  - address: unix:/a\nadmin:\n  token: from-file\n");
    assertEquals(Optional.of("from-flag"), run(Map.of("SLUICE_ADMIN_TOKEN", "from-env"), "--config", config,
        "--admin-token", "from-flag").admin().token());
    assertEquals(Optional.of("from-env"),
        run(Map.of("SLUICE_ADMIN_TOKEN", "from-env"), "--config", config).admin().token());
    assertEquals(Optional.of("from-file"),
        run(Map.of("SLUICE_ADMIN_TOKEN", ""), "--config", config).admin().token());
    assertEquals(Optional.of("from-env"),
        run(Map.of("SLUICE_ADMIN_TOKEN", "from-env"), "--backend", "unix:/a").admin().token());
  }

  @Test
  void tokenFromAFileKeepsItOutOfTheCommandLine() throws IOException {
    Path token = dir.resolve("token");
    Files.writeString(token, "s3cret\n");
    SluiceConfig c = run(Map.of("SLUICE_ADMIN_TOKEN", "from-env"), "--backend", "unix:/a", "--admin-token-file",
        token.toString(), "--admin", "0.0.0.0:9901");
    assertEquals(Optional.of("s3cret"), c.admin().token(), "the file wins over the environment");
    assertEquals("--admin-token-file: given with --admin-token (expected: one of them)",
        assertThrows(ConfigException.class, () -> run("--backend", "unix:/a", "--admin-token", "t",
            "--admin-token-file", token.toString())).getMessage());
    Files.writeString(token, "\n");
    assertEquals("--admin-token-file: \"" + token + "\" holds no token (expected: a readable file holding the token)",
        assertThrows(ConfigException.class, () -> run("--backend", "unix:/a", "--admin-token-file", token.toString()))
            .getMessage());
  }

  @Test
  void trustedProxiesAddToTheFilesAndTheQueueFlagsOverrideIt() throws IOException {
    String config = file("backends:\n  - address: unix:/a\nclients:\n  trustedProxies: [10.0.0.0/8]\n"
        + "queue:\n  discipline: fifo\n");
    SluiceConfig c = run("--config", config, "--trusted-proxy", "127.0.0.1", "--trusted-proxy", "::1",
        "--queue-discipline", "adaptive", "--queue-target", "200ms");
    assertEquals(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("127.0.0.1/32"), Cidr.parse("::1/128")),
        c.clients().trustedProxies());
    assertTrue(c.clients().trusts("10.1.2.3"));
    assertTrue(c.clients().trusts("::1"));
    assertFalse(c.clients().trusts("192.168.0.1"));
    assertFalse(c.clients().trusts(""), "a Unix-socket peer has no address to trust");
    assertEquals(QueueDiscipline.ADAPTIVE, c.queue().discipline());
    assertEquals(Duration.ofMillis(200), c.queue().target());
    assertEquals("--trusted-proxy: \"10.0.0.0/40\": prefix 40 (expected: 0 to 32)",
        assertThrows(ConfigException.class, () -> run("--backend", "unix:/a", "--trusted-proxy", "10.0.0.0/40"))
            .getMessage());
  }

  @Test
  void tokenFromTheEnvironmentOpensTheAdminAddress() {
    SluiceConfig c = run(Map.of("SLUICE_ADMIN_TOKEN", "t"), "--backend", "unix:/a", "--admin", "0.0.0.0:9901");
    assertEquals(Optional.of(new Address.Tcp("0.0.0.0", 9901)), c.admin().address());
  }

  @Test
  void reachableAdminAddressInTheFileIsNamedByLine() throws IOException {
    String config = file("backends:\n  - address: unix:/a\nadmin:\n  address: 0.0.0.0:9901\n");
    assertEquals(config + ":4: admin.address: \"0.0.0.0:9901\" is not a loopback address, so a token is required "
            + "(expected: --admin-token TOKEN or SLUICE_ADMIN_TOKEN, or bind to 127.0.0.1)",
        assertThrows(ConfigException.class, () -> run("--config", config)).getMessage());
    assertEquals(Optional.empty(), run("--config", config, "--admin", "off").admin().address());
  }

  @Test
  void flagsOverrideTheFile() throws IOException {
    String config = file("""
        listen:
          - address: :8080
            backlog: 100
          - :8081
        queue:
          max: 10
          timeout: 5s
        backends:
          - name: app
            address: unix:/run/app.sock
            protocol: uwsgi
            limit: 3
            bufferSize: 8192
            timeout: 10s
          - address: 10.0.0.2:8000
        admin:
          stateFile: /var/lib/sluice/limits.json
        buffers:
          memory: 64KiB
          maxBody: 1MB
        shutdown:
          drainTimeout: 1s
        """);

    SluiceConfig fileOnly = run("--config", config);
    assertEquals(List.of(new ListenerConfig(new Address.Tcp("", 8080), MaxOr.of(100)),
        new ListenerConfig(new Address.Tcp("", 8081), MaxOr.MAX)), fileOnly.listeners());
    assertEquals(new QueueConfig(MaxOr.of(10), Duration.ofSeconds(5)), fileOnly.queue());
    assertEquals(new BackendConfig("app", APP, Protocol.UWSGI, LimitSetting.of(3), 8192,
        BackendConfig.DEFAULT_CONNECT_TIMEOUT, Duration.ofSeconds(10), BackendConfig.DEFAULT_MAX_VARS),
        fileOnly.backend("app"));
    assertEquals(Optional.of(Path.of("/var/lib/sluice/limits.json")), fileOnly.admin().stateFile());
    assertEquals(Duration.ofSeconds(1), fileOnly.drainTimeout());

    SluiceConfig backlog = run("--config", config, "--backlog", "50");
    assertEquals(List.of(new ListenerConfig(new Address.Tcp("", 8080), MaxOr.of(50)),
        new ListenerConfig(new Address.Tcp("", 8081), MaxOr.of(50))), backlog.listeners());

    SluiceConfig listen = run("--config", config, "--listen", ":9000");
    assertEquals(List.of(new ListenerConfig(new Address.Tcp("", 9000), MaxOr.MAX)), listen.listeners());

    SluiceConfig limits = run("--config", config, "--protocol", "http", "--limit", "7");
    assertEquals(List.of(
        new BackendConfig("app", APP, Protocol.HTTP, LimitSetting.of(7), 8192, BackendConfig.DEFAULT_CONNECT_TIMEOUT,
            Duration.ofSeconds(10), BackendConfig.DEFAULT_MAX_VARS),
        BackendConfig.of("b2", new Address.Tcp("10.0.0.2", 8000), Protocol.HTTP, LimitSetting.of(7))),
        limits.backends());

    SluiceConfig backends = run("--config", config, "--backend", "unix:/b", "--limit", "2");
    assertEquals(List.of(BackendConfig.of("default", new Address.Unix(Path.of("/b")), Protocol.HTTP,
        LimitSetting.of(2))), backends.backends());

    SluiceConfig rest = run("--config", config, "--queue-timeout", "1m", "--max-body", "2MB", "--drain-timeout", "9s",
        "--admin", "127.0.0.1:1");
    assertEquals(new QueueConfig(MaxOr.of(10), Duration.ofMinutes(1)), rest.queue());
    assertEquals(new BufferConfig(64 * 1024, 2_000_000, BufferConfig.defaults().tempDir()), rest.buffers());
    assertEquals(Duration.ofSeconds(9), rest.drainTimeout());
    assertEquals(new AdminConfig(Optional.of(new Address.Tcp("127.0.0.1", 1)), Optional.empty(),
        Optional.of(Path.of("/var/lib/sluice/limits.json"))), rest.admin());
  }

  @Test
  void stateFileFromTheFlagOverTheFile() throws IOException {
    String config = file("backends:\n  - address: unix:/a\nadmin:\n  stateFile: /var/lib/sluice/limits.json\n");
    assertEquals(Optional.of(Path.of("/var/lib/sluice/limits.json")), run("--config", config).admin().stateFile());
    assertEquals(Optional.of(Path.of("/tmp/limits.json")),
        run("--config", config, "--state-file", "/tmp/limits.json").admin().stateFile());
    assertEquals(Optional.of(Path.of("limits.json")),
        run("--backend", "unix:/a", "--state-file=limits.json").admin().stateFile());
    assertEquals(Optional.empty(), run("--backend", "unix:/a").admin().stateFile());
    assertEquals("--state-file: \"\" (expected: a file or directory path)",
        assertThrows(ConfigException.class, () -> run("--backend", "unix:/a", "--state-file=")).getMessage());
  }

  @Test
  void fileErrorsComeThrough() throws IOException {
    String config = file("queue:\n  max: -3\n");
    assertEquals(config + ":2: queue.max: \"-3\" (expected: max or an integer >= 1)",
        assertThrows(ConfigException.class, () -> run("--config", config)).getMessage());
    Path missing = dir.resolve("missing.yaml");
    assertEquals("cannot read " + missing + ": No such file or directory",
        assertThrows(ConfigException.class, () -> run("--config=" + missing)).getMessage());
  }

  @Test
  void specExampleWithTheTokenInTheEnvironment() throws IOException {
    Path config = dir.resolve("sluice.yaml");
    try (var in = getClass().getResourceAsStream("/config/spec-example.yaml")) {
      Files.write(config, in.readAllBytes());
    }
    SluiceConfig c = run(Map.of("SLUICE_ADMIN_TOKEN", "s3cret"), "--config", config.toString());
    assertEquals(List.of(BackendConfig.of("app", new Address.Unix(Path.of("/run/app/uwsgi.sock")), Protocol.UWSGI,
        LimitSetting.AUTO)), c.backends());
    assertEquals(Optional.of("s3cret"), c.admin().token());
    assertEquals(config + ":14: admin.token: environment variable SLUICE_ADMIN_TOKEN is not set (expected: "
            + "SLUICE_ADMIN_TOKEN in the environment, or ${SLUICE_ADMIN_TOKEN:-default} for a default)",
        assertThrows(ConfigException.class, () -> run("--config", config.toString())).getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"--help", "-h", "--foo --help", "--queue-max -3 -h", "--admin-token --help",
      "--version --help", "stray --help"})
  void helpWinsOverEverythingElse(String args) {
    assertInstanceOf(Invocation.Help.class, CommandLine.parse(args.split(" "), Map.of()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"--version", "--backend unix:/a --version", "--nope --version"})
  void versionWinsOverAllButHelp(String args) {
    assertInstanceOf(Invocation.Version.class, CommandLine.parse(args.split(" "), Map.of()));
  }

  @Test
  void usageListsEveryCommandAndFlagWithItsDefault() {
    String usage = CommandLine.usage();
    for (String command : List.of("sluice demo", "sluice spike URL", "sluice limits [set k=v ...]")) {
      assertTrue(usage.contains(command), command);
    }
    List<String> lines = usage.lines().toList();
    for (String expected : List.of("--config FILE .* \\(default: none\\)", "--listen ADDR .* \\(default: :8080\\)",
        "--backlog max\\|N .* \\(default: max\\)", "--backend \\[NAME=\\]ADDR .* \\(default: none\\)",
        "--protocol http\\|uwsgi .* \\(default: http\\)", "--limit auto\\|N .* \\(default: auto\\)",
        "--queue-max max\\|N .* \\(default: max\\)", "--queue-timeout DURATION .* \\(default: 60s\\)",
        "--admin ADDR\\|off .* \\(default: 127.0.0.1:9901\\)", "--admin-token TOKEN .*SLUICE_ADMIN_TOKEN.*",
        "--state-file PATH .* \\(default: none\\)",
        "--max-body SIZE .* \\(default: 100MB\\)", "--drain-timeout DURATION .* \\(default: 30s\\)",
        "-h, --help .*", "--version .*")) {
      assertEquals(1, lines.stream().filter(l -> l.matches("  " + expected)).count(), expected);
    }
    assertEquals(BufferConfig.DEFAULT_MAX_BODY, Sizes.parse(Flag.MAX_BODY.defaultText));
    assertFalse(usage.contains("\t"));
  }
}
