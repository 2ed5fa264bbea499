package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class YamlConfigFileTest {

  private static final Map<String, String> ENV = Map.of("SLUICE_ADMIN_TOKEN", "s3cret", "APP_SOCK", "/run/app.sock");

  private static FileSettings parse(String yaml) {
    return YamlConfigFile.parse("sluice.yaml", yaml, ENV);
  }

  private static String error(String yaml) {
    return assertThrows(ConfigException.class, () -> parse(yaml)).getMessage();
  }

  @Test
  void specExampleParsesToItsRecords() throws IOException {
    String yaml;
    try (InputStream in = getClass().getResourceAsStream("/config/spec-example.yaml")) {
      yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    FileSettings s = parse(yaml);
    assertEquals(List.of(new ListenerConfig(new Address.Tcp("", 8080), MaxOr.MAX)), s.listeners());
    assertEquals(new QueueConfig(MaxOr.MAX, Duration.ofSeconds(60)), s.queue());
    assertEquals(List.of(BackendConfig.of("app", new Address.Unix(Path.of("/run/app/uwsgi.sock")), Protocol.UWSGI,
        LimitSetting.AUTO)), s.backends());
    assertEquals(new AdminConfig(Optional.of(new Address.Tcp("127.0.0.1", 9901)), Optional.of("s3cret"),
        Optional.empty()), s.admin());
    assertEquals("sluice.yaml:13: admin.address", s.adminAddressOrigin());
    assertEquals(BufferConfig.defaults(), s.buffers());
    assertEquals(SluiceConfig.DEFAULT_DRAIN_TIMEOUT, s.drainTimeout());
  }

  @Test
  void everyKeyOfTheSchema() {
    FileSettings s = parse("""
        listen:
          - address: 127.0.0.1:8080
            backlog: 1024
          - unix:/run/sluice.sock
        queue:
          max: 5000
          timeout: 2m
        backends:
          - name: app
            address: unix:${APP_SOCK}
            protocol: uwsgi
            limit: 8
            bufferSize: 32768
            connectTimeout: 500ms
            timeout: 30s
          - address: 10.0.0.2:8000
        admin:
          address: unix:/run/sluice-admin.sock
          token: ${SLUICE_ADMIN_TOKEN}
          stateFile: /var/lib/sluice/limits.json
        buffers:
          memory: 64KiB
          maxBody: 1GB
          tempDir: /var/tmp
        shutdown:
          drainTimeout: 0s
        """);
    assertEquals(List.of(
        new ListenerConfig(new Address.Tcp("127.0.0.1", 8080), MaxOr.of(1024)),
        new ListenerConfig(new Address.Unix(Path.of("/run/sluice.sock")), MaxOr.MAX)), s.listeners());
    assertEquals(new QueueConfig(MaxOr.of(5000), Duration.ofMinutes(2)), s.queue());
    assertEquals(List.of(
        new BackendConfig("app", new Address.Unix(Path.of("/run/app.sock")), Protocol.UWSGI, LimitSetting.of(8), 32768,
            Duration.ofMillis(500), Duration.ofSeconds(30), BackendConfig.DEFAULT_MAX_VARS),
        BackendConfig.of("b2", new Address.Tcp("10.0.0.2", 8000), Protocol.HTTP, LimitSetting.AUTO)), s.backends());
    assertEquals(new AdminConfig(Optional.of(new Address.Unix(Path.of("/run/sluice-admin.sock"))),
        Optional.of("s3cret"), Optional.of(Path.of("/var/lib/sluice/limits.json"))), s.admin());
    assertEquals(new BufferConfig(64 * 1024, 1_000_000_000L, Path.of("/var/tmp")), s.buffers());
    assertEquals(Duration.ZERO, s.drainTimeout());
  }

  @Test
  void theKeysOfOverloadHardeningAndForwarding(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    Path tokenFile = dir.resolve("admin-token");
    java.nio.file.Files.writeString(tokenFile, "from-a-file\n");
    FileSettings s = parse("""
        listen:
          - address: ":8080"
            proxyProtocol: true
        queue:
          discipline: fifo
          target: 250ms
        backends:
          - address: unix:/run/app.sock
        admin:
          tokenFile: %s
        buffers:
          memory: 64KiB
          memoryTotal: 32MiB
          disk: 200MiB
        clients:
          sendTimeout: 10s
          heldSlotTimeout: 500ms
          bodyMinRate: 2KiB
          trustedProxies: [10.0.0.0/8, "2001:db8::/32", 203.0.113.7]
        forwarding:
          requestStart: false
        """.formatted(tokenFile));
    assertTrue(s.listeners().get(0).proxyProtocol());
    assertEquals(QueueDiscipline.FIFO, s.queue().discipline());
    assertEquals(Duration.ofMillis(250), s.queue().target());
    assertEquals(Optional.of("from-a-file"), s.admin().token());
    assertEquals(32L << 20, s.buffers().memoryTotal());
    assertEquals(200L << 20, s.buffers().disk());
    assertEquals(Duration.ofSeconds(10), s.clients().sendTimeout());
    assertEquals(Duration.ofMillis(500), s.clients().heldSlotTimeout());
    assertEquals(2048, s.clients().bodyMinRate());
    assertEquals(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("2001:db8::/32"), Cidr.parse("203.0.113.7/32")),
        s.clients().trustedProxies());
    assertFalse(s.forwarding().requestStart());
  }

  @Test
  void theNewKeysHaveTheirDefaults() {
    FileSettings s = parse("backends:\n  - address: unix:/run/app.sock\n");
    assertFalse(s.listeners().get(0).proxyProtocol());
    assertEquals(QueueConfig.DEFAULT_DISCIPLINE, s.queue().discipline());
    assertEquals(QueueConfig.DEFAULT_TARGET, s.queue().target());
    assertEquals(BufferConfig.DEFAULT_DISK, s.buffers().disk());
    assertEquals(Math.max(s.buffers().memory(), BufferConfig.defaultMemoryTotal()), s.buffers().memoryTotal());
    assertEquals(ClientConfig.DEFAULT_SEND_TIMEOUT, s.clients().sendTimeout());
    assertEquals(ClientConfig.DEFAULT_HELD_SLOT_TIMEOUT, s.clients().heldSlotTimeout());
    assertEquals(List.of(), s.clients().trustedProxies());
    assertTrue(s.forwarding().requestStart());
  }

  @ParameterizedTest
  @MethodSource("newKeyErrors")
  void theNewKeysNameTheirLineAndKey(String yaml, String message) {
    assertEquals(message, error("backends:\n  - address: unix:/run/app.sock\n" + yaml));
  }

  static Stream<Arguments> newKeyErrors() {
    return Stream.of(
        Arguments.of("queue:\n  discipline: lifo\n",
            "sluice.yaml:4: queue.discipline: \"lifo\" (expected: fifo or adaptive)"),
        Arguments.of("queue:\n  target: 0s\n",
            "sluice.yaml:4: queue.target: \"0s\" (expected: a duration above zero, such as 500ms, 30s, 2m or 1h)"),
        Arguments.of("clients:\n  trustedProxies: [10.0.0.0/33]\n",
            "sluice.yaml:4: clients.trustedProxies[0]: \"10.0.0.0/33\": prefix 33 (expected: 0 to 32)"),
        Arguments.of("clients:\n  trustedProxies: [proxy.example]\n",
            "sluice.yaml:4: clients.trustedProxies[0]: \"proxy.example\" (expected: " + Cidr.FORMS + ")"),
        Arguments.of("listen:\n  - address: :80\n    proxyProtocol: yes\n",
            "sluice.yaml:5: listen[0].proxyProtocol: \"yes\" (expected: true or false)"),
        Arguments.of("buffers:\n  memoryTotal: 1KiB\n",
            "sluice.yaml:4: buffers.memoryTotal: 1024 bytes is below buffers.memory, 262144 (expected: at least one "
                + "body's share)"),
        Arguments.of("admin:\n  tokenFile: /nonexistent/token\n",
            "sluice.yaml:4: admin.tokenFile: cannot read \"/nonexistent/token\": No such file or directory "
                + "(expected: a readable file holding the token)"),
        Arguments.of("admin:\n  token: a\n  tokenFile: /x\n",
            "sluice.yaml:5: admin.tokenFile: given with admin.token (expected: one of token and tokenFile)"),
        Arguments.of("forwarding:\n  requestStart: on\n",
            "sluice.yaml:4: forwarding.requestStart: \"on\" (expected: true or false)"));
  }

  @Test
  void omittedKeysTakeTheirDefaults() {
    FileSettings s = parse("backends:\n  - address: unix:/run/app.sock\n");
    FileSettings d = FileSettings.defaults();
    assertEquals(d.listeners(), s.listeners());
    assertEquals(List.of(new ListenerConfig(new Address.Tcp("", 8080), MaxOr.MAX)), s.listeners());
    assertEquals(d.queue(), s.queue());
    assertEquals(List.of(BackendConfig.of("default", new Address.Unix(Path.of("/run/app.sock")), Protocol.HTTP,
        LimitSetting.AUTO)), s.backends());
    assertEquals(AdminConfig.defaults(), s.admin());
    assertEquals(BufferConfig.defaults(), s.buffers());
    assertEquals(SluiceConfig.DEFAULT_DRAIN_TIMEOUT, s.drainTimeout());
  }

  @Test
  void keysWithNoValueAreAbsent() {
    FileSettings s = parse("""
        queue:
          # max: 10
        admin:
          token:
        backends:
        """);
    assertEquals(FileSettings.defaults().queue(), s.queue());
    assertEquals(AdminConfig.defaults(), s.admin());
    assertEquals(List.of(), s.backends());
  }

  @Test
  void scalarsAreTextNotYamlTypes() {
    FileSettings s = parse("""
        admin:
          address: off
          token: ${UNSET:-}
        backends:
          - name: 010
            address: "localhost:8000"
            limit: 010
        """);
    assertEquals(Optional.empty(), s.admin().address());
    assertEquals(Optional.empty(), s.admin().token());
    assertEquals("010", s.backends().get(0).name());
    assertEquals(LimitSetting.of(10), s.backends().get(0).limit());
  }

  @Test
  void byteOrderMarkIsAccepted() {
    assertEquals(MaxOr.of(3), parse("\uFEFFqueue:\n  max: 3\n").queue().max());
  }

  static Stream<Arguments> badFiles() {
    String backends = "backends:\n  - address: unix:/a\n";
    return Stream.of(
        Arguments.of("", "sluice.yaml:1: the file is empty (expected: a mapping with keys listen, queue, backends, "
            + "admin, buffers, clients, forwarding, shutdown)"),
        Arguments.of("# nothing here\n", "sluice.yaml:1: the file is empty (expected: a mapping with keys listen, "
            + "queue, backends, admin, buffers, clients, forwarding, shutdown)"),
        Arguments.of("- a\n", "sluice.yaml:1: the top level is a list (expected: a mapping with keys listen, queue, "
            + "backends, admin, buffers, clients, forwarding, shutdown)"),
        Arguments.of("listne: []\n", "sluice.yaml:1: unknown key \"listne\" (expected one of: listen, queue, "
            + "backends, admin, buffers, clients, forwarding, shutdown)"),
        Arguments.of(backends + "queue:\n  max: 3\n  maxx: 4\n",
            "sluice.yaml:5: unknown key \"queue.maxx\" (expected one of: max, timeout, discipline, target)"),
        Arguments.of("queue:\n  max: 3\n  max: 4\n",
            "sluice.yaml:3: duplicate key \"queue.max\" (already given at line 2; expected: each key once)"),
        Arguments.of("queue:\n  ? [a]\n  : 1\n",
            "sluice.yaml:2: unknown key a list in queue (expected one of: max, timeout, discipline, target)"),
        Arguments.of("queue:\n  max: -3\n", "sluice.yaml:2: queue.max: \"-3\" (expected: max or an integer >= 1)"),
        Arguments.of("queue:\n  max: [1]\n", "sluice.yaml:2: queue.max: a list (expected: max or an integer >= 1)"),
        Arguments.of("queue:\n  - max\n",
            "sluice.yaml:2: queue: a list (expected: a mapping with keys max, timeout, discipline, target)"),
        Arguments.of("queue: 5\n", "sluice.yaml:1: queue: \"5\" (expected: a mapping with keys max, timeout, discipline, target)"),
        Arguments.of("queue:\n  timeout: 0s\n",
            "sluice.yaml:2: queue.timeout: \"0s\" (expected: a duration above zero, such as 500ms, 30s, 2m or 1h)"),
        Arguments.of("queue:\n  timeout: 30\n",
            "sluice.yaml:2: queue.timeout: \"30\" (expected: a duration above zero, such as 500ms, 30s, 2m or 1h)"),
        Arguments.of("listen: []\n",
            "sluice.yaml:1: listen: an empty list (expected: at least one address, HOST:PORT, :PORT or unix:/path)"),
        Arguments.of("listen:\n  address: :80\n", "sluice.yaml:2: listen: a mapping (expected: a list of addresses "
            + "or of mappings with keys address, backlog, proxyProtocol)"),
        Arguments.of("listen:\n  - :80\n  - [a]\n",
            "sluice.yaml:3: listen[1]: a list (expected: a mapping with keys address, backlog, proxyProtocol)"),
        Arguments.of("listen:\n  - localhost\n",
            "sluice.yaml:2: listen[0]: \"localhost\" has no port (expected: HOST:PORT, :PORT or unix:/path)"),
        Arguments.of("listen:\n  - backlog: 10\n",
            "sluice.yaml:2: listen[0].address: missing (expected: HOST:PORT, :PORT or unix:/path)"),
        Arguments.of("listen:\n  - address: :80\n    backlog: 0\n",
            "sluice.yaml:3: listen[0].backlog: \"0\" (expected: max or an integer >= 1)"),
        Arguments.of("backends:\n  name: app\n", "sluice.yaml:2: backends: a mapping (expected: a list of mappings "
            + "with keys name, address, protocol, limit, bufferSize, maxVars, connectTimeout, timeout)"),
        Arguments.of("backends:\n  - unix:/a\n", "sluice.yaml:2: backends[0]: \"unix:/a\" (expected: a mapping with "
            + "keys name, address, protocol, limit, bufferSize, maxVars, connectTimeout, timeout)"),
        Arguments.of(backends + "  - name: app\n    protocol: uwsgi\n",
            "sluice.yaml:3: backends[1].address: missing (expected: unix:/path or HOST:PORT)"),
        Arguments.of(backends + "  - address: unix:/b\n    adress: x\n", "sluice.yaml:4: unknown key "
            + "\"backends[1].adress\" (expected one of: name, address, protocol, limit, bufferSize, maxVars, connectTimeout, "
            + "timeout)"),
        Arguments.of("backends:\n  - address: :8000\n", "sluice.yaml:2: backends[0].address: \":8000\" has no host "
            + "(expected: unix:/path or HOST:PORT, such as 127.0.0.1:8000)"),
        Arguments.of("backends:\n  - address: h:0\n", "sluice.yaml:2: backends[0].address: \"h:0\": port 0 is out "
            + "of range (expected: 1 to 65535)"),
        Arguments.of("backends:\n  - address: unix:/a\n    protocol: fastcgi\n",
            "sluice.yaml:3: backends[0].protocol: \"fastcgi\" (expected: http or uwsgi)"),
        Arguments.of("backends:\n  - address: unix:/a\n    limit: 0\n",
            "sluice.yaml:3: backends[0].limit: \"0\" (expected: auto or an integer >= 1)"),
        Arguments.of("backends:\n  - address: unix:/a\n    bufferSize: 100\n", "sluice.yaml:3: "
            + "backends[0].bufferSize: \"100\" (expected: a size from 512 to 65535 bytes, as uWSGI's --buffer-size)"),
        Arguments.of("backends:\n  - address: unix:/a\n    connectTimeout: 5\n", "sluice.yaml:3: "
            + "backends[0].connectTimeout: \"5\" (expected: a duration above zero, such as 500ms, 30s, 2m or 1h)"),
        Arguments.of("backends:\n  - address: unix:/a\n    name: my app\n", "sluice.yaml:3: backends[0].name: "
            + "\"my app\" (expected: 1 to 64 letters, digits, '_', '.' or '-')"),
        Arguments.of("backends:\n  - name: app\n    address: unix:/a\n  - name: app\n    address: unix:/b\n",
            "sluice.yaml:4: backends[1].name: \"app\" is already the name of backends[0] (expected: a unique name)"),
        Arguments.of("backends:\n  - name: b2\n    address: unix:/a\n  - address: unix:/b\n",
            "sluice.yaml:4: backends[1]: its default name \"b2\" is already the name of backends[0] "
                + "(expected: a unique name: for it)"),
        Arguments.of("admin:\n  address: 0.0.0.0\n",
            "sluice.yaml:2: admin.address: \"0.0.0.0\" (expected: HOST:PORT, :PORT, unix:/path or off)"),
        Arguments.of("admin:\n  token: ${SLUICE_TOKEN}\n", "sluice.yaml:2: admin.token: environment variable "
            + "SLUICE_TOKEN is not set (expected: SLUICE_TOKEN in the environment, or ${SLUICE_TOKEN:-default} for a "
            + "default)"),
        Arguments.of("admin:\n  token: ${SLUICE_ADMIN_TOKEN\n", "sluice.yaml:2: admin.token: "
            + "\"${SLUICE_ADMIN_TOKEN\" (expected: ${NAME} or ${NAME:-default}, and $${ for a literal ${)"),
        Arguments.of("admin:\n  token: [a, b]\n", "sluice.yaml:2: admin.token: a list (expected: a token)"),
        Arguments.of("admin:\n  stateFile: \"/a\\0b\"\n",
            "sluice.yaml:2: admin.stateFile: \"/a\\u0000b\" (expected: a file or directory path)"),
        Arguments.of("buffers:\n  memory: 1KiB\n",
            "sluice.yaml:2: buffers.memory: \"1KiB\" (expected: a size from 4KiB to 1GiB, such as 256KiB)"),
        Arguments.of("buffers:\n  maxBody: lots\n",
            "sluice.yaml:2: buffers.maxBody: \"lots\" (expected: a size such as 65536, 512KiB, 100MB or 1GiB)"),
        Arguments.of("buffers:\n  tempDir: \"\"\n",
            "sluice.yaml:2: buffers.tempDir: \"\" (expected: a file or directory path)"),
        Arguments.of("shutdown:\n  drainTimeout: soon\n",
            "sluice.yaml:2: shutdown.drainTimeout: \"soon\" (expected: a duration such as 500ms, 30s, 2m or 1h)"),
        Arguments.of("queue:\n  max: 3\n max: 4\n", "sluice.yaml:3: invalid YAML: while parsing a block mapping: "
            + "expected <block end>, but found '<block mapping start>'"),
        Arguments.of("queue: {max: 3}\n---\nqueue: {}\n", "sluice.yaml:2: invalid YAML: expected a single document "
            + "in the stream: but found another document"));
  }

  @ParameterizedTest
  @MethodSource("badFiles")
  void badFilesAreRefusedWithFileLineAndKey(String yaml, String message) {
    assertEquals(message, error(yaml));
  }

  @Test
  void multiLineValuesStayOnOneLineInMessages() {
    assertEquals("sluice.yaml:2: queue.max: \"1\\n2\\n\" (expected: max or an integer >= 1)",
        error("queue:\n  max: |\n    1\n    2\n"));
  }

  @Test
  void loadsAFileAndNamesItAsGiven(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("sluice.yaml");
    Files.writeString(file, "queue:\n  max: 7\n");
    assertEquals(MaxOr.of(7), YamlConfigFile.load(file, ENV).queue().max());
    Files.writeString(file, "queue:\n  max: x\n");
    assertEquals(file + ":2: queue.max: \"x\" (expected: max or an integer >= 1)",
        assertThrows(ConfigException.class, () -> YamlConfigFile.load(file, ENV)).getMessage());
  }

  @Test
  void unreadableFileGivesThePathAndTheReason(@TempDir Path dir) throws IOException {
    Path missing = dir.resolve("missing.yaml");
    assertEquals("cannot read " + missing + ": No such file or directory",
        assertThrows(ConfigException.class, () -> YamlConfigFile.load(missing, ENV)).getMessage());
    assertEquals("cannot read " + dir + ": Is a directory",
        assertThrows(ConfigException.class, () -> YamlConfigFile.load(dir, ENV)).getMessage());
    Path binary = dir.resolve("binary.yaml");
    Files.write(binary, new byte[] {'a', ':', ' ', (byte) 0xff});
    assertEquals(binary + ": not UTF-8 text (expected: a YAML file in UTF-8)",
        assertThrows(ConfigException.class, () -> YamlConfigFile.load(binary, ENV)).getMessage());
  }

  @Test
  void clientTimeoutsHaveDefaultsAndCanBeSet() {
    assertEquals(ClientConfig.DEFAULTS, YamlConfigFile.parse("s.yaml", "queue:\n  max: 5\n", Map.of()).clients());
    FileSettings f = YamlConfigFile.parse("s.yaml", "clients:\n  idleTimeout: 5s\n  bodyTimeout: 500ms\n", Map.of());
    assertEquals(new ClientConfig(Duration.ofSeconds(5), Duration.ofMillis(500)), f.clients());
    ConfigException e = assertThrows(ConfigException.class,
        () -> YamlConfigFile.parse("s.yaml", "clients:\n  idleTimeout: soon\n", Map.of()));
    assertEquals("s.yaml:2: clients.idleTimeout: \"soon\" (expected: " + Durations.FORMS + ")", e.getMessage());
  }
}
