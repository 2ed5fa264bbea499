package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.sluice.config.AdminConfig;
import io.sluice.config.BackendConfig;
import io.sluice.config.BufferConfig;
import io.sluice.config.ClientConfig;
import io.sluice.config.ConfigException;
import io.sluice.config.LimitSetting;
import io.sluice.config.ListenerConfig;
import io.sluice.config.MaxOr;
import io.sluice.config.Protocol;
import io.sluice.config.QueueConfig;
import io.sluice.config.SluiceConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateFileTest {

  @TempDir
  Path dir;

  private SluiceConfig config(Path stateFile) {
    return new SluiceConfig(
        List.of(new ListenerConfig(new Address.Tcp("", 8080), MaxOr.MAX),
            new ListenerConfig(new Address.Tcp("", 8081), MaxOr.of(100))),
        new QueueConfig(MaxOr.MAX, Duration.ofSeconds(60)),
        List.of(BackendConfig.of("app", new Address.Unix(Path.of("/run/app.sock")), Protocol.UWSGI,
            LimitSetting.AUTO)),
        new AdminConfig(Optional.of(AdminConfig.DEFAULT_ADDRESS), Optional.empty(), Optional.ofNullable(stateFile)),
        BufferConfig.defaults(), Duration.ofSeconds(30), ClientConfig.DEFAULTS);
  }

  @Test
  void noStateFileOrNoFileYetLeavesTheConfiguration() throws Exception {
    SluiceConfig none = config(null);
    assertSame(none, StateFile.overlay(none));
    SluiceConfig notYet = config(dir.resolve("limits.json"));
    assertSame(notYet, StateFile.overlay(notYet));
  }

  @Test
  void writtenLimitsReplaceTheConfigurationsAtTheNextStart() throws Exception {
    Path file = dir.resolve("limits.json");
    new StateFile(file).write(new Limits(MaxOr.of(512), MaxOr.of(300), Duration.ofSeconds(5),
        Map.of("app", LimitSetting.of(8))));
    assertEquals("{\n  \"backlog\" : 512,\n  \"queue\" : {\n    \"max\" : 300,\n    \"timeout\" : \"5s\",\n"
        + "    \"discipline\" : \"adaptive\",\n    \"target\" : \"500ms\"\n  },\n  \"backends\" : {\n    \"app\" : {\n      \"limit\" : 8\n    }\n  }\n}\n", Files.readString(file));
    SluiceConfig c = StateFile.overlay(config(file));
    assertEquals(List.of(MaxOr.of(512), MaxOr.of(512)), c.listeners().stream().map(ListenerConfig::backlog).toList());
    assertEquals(new QueueConfig(MaxOr.of(300), Duration.ofSeconds(5)), c.queue());
    assertEquals(LimitSetting.of(8), c.backend("app").limit());
    assertEquals(config(file).admin(), c.admin());
  }

  @Test
  void aPartialFileChangesOnlyWhatItNames() throws Exception {
    Path file = dir.resolve("limits.json");
    Files.writeString(file, "{\"queue\":{\"timeout\":\"2m\"}}");
    SluiceConfig c = StateFile.overlay(config(file));
    assertEquals(new QueueConfig(MaxOr.MAX, Duration.ofMinutes(2)), c.queue());
    assertEquals(config(file).listeners(), c.listeners());
  }

  @Test
  void rewritingLeavesNoTemporaryFileBehind() throws Exception {
    Path file = dir.resolve("limits.json");
    StateFile state = new StateFile(file);
    for (int i = 1; i <= 3; i++) {
      state.write(new Limits(MaxOr.MAX, MaxOr.of(i), Duration.ofSeconds(1), Map.of("app", LimitSetting.AUTO)));
    }
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of(file), files.toList());
    }
    assertTrue(Files.readString(file).contains("\"max\" : 3"));
  }

  @Test
  void aCorruptFileIsAOneLineStartUpErrorNamingIt() throws Exception {
    Path file = dir.resolve("limits.json");
    Files.writeString(file, "{\"queue\":{\"max\":5");
    // A ConfigException: a setting Sluice cannot start with, exit status 2.
    ConfigException e = assertThrows(ConfigException.class, () -> StateFile.overlay(config(file)));
    assertTrue(e.getMessage().startsWith(file + ": not valid JSON: "), e.getMessage());
    assertTrue(e.getMessage().endsWith("; fix it or remove it to start from the configuration's limits"),
        e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void aBadValueOrUnknownBackendIsNamed() throws Exception {
    Path file = dir.resolve("limits.json");
    Files.writeString(file, "{\"queue\":{\"max\":-3}}");
    assertEquals(file + ": queue.max: -3 (expected: max or an integer >= 1); fix it or remove it to start from the "
        + "configuration's limits",
        assertThrows(ConfigException.class, () -> StateFile.overlay(config(file))).getMessage());
    Files.writeString(file, "{\"backends\":{\"old\":{\"limit\":2}}}");
    assertEquals(file + ": backends.old: no such backend in the configuration (known: app); fix it or remove it to "
        + "start from the configuration's limits",
        assertThrows(ConfigException.class, () -> StateFile.overlay(config(file))).getMessage());
    Files.writeString(file, "");
    assertTrue(assertThrows(ConfigException.class, () -> StateFile.overlay(config(file))).getMessage()
        .startsWith(file + ": not valid JSON"));
  }

  @Test
  void aMissingDirectoryIsRefusedAtStart() {
    Path file = dir.resolve("nope/limits.json");
    ConfigException e = assertThrows(ConfigException.class, () -> StateFile.overlay(config(file)));
    assertEquals(file + ": the directory " + dir.resolve("nope") + " does not exist", e.getMessage());
  }
}
