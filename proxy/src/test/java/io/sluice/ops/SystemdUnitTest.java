package io.sluice.ops;

import static io.sluice.ops.Examples.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code conf/sluice.service} against {@code conf/sluice.yaml}, which the unit runs: the token stays out of the
 * environment, the hardening leaves Sluice somewhere to write, and a stop waits for the drain. (The release archive's
 * test runs {@code systemd-analyze verify} on it where systemd is installed.)
 */
class SystemdUnitTest {

  private final Map<String, List<String>> service = section("Service");
  private final Map<String, Object> config = Examples.yaml("conf/sluice.yaml");

  /** The settings of one section, by key; a key may repeat. Comment lines are not settings. */
  private static Map<String, List<String>> section(String name) {
    Map<String, List<String>> settings = new LinkedHashMap<>();
    String current = null;
    for (String line : Examples.read("conf/sluice.service").split("\n")) {
      String l = line.trim();
      if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) {
        continue;
      }
      if (l.startsWith("[")) {
        current = l.substring(1, l.length() - 1);
      } else if (name.equals(current)) {
        int eq = l.indexOf('=');
        settings.computeIfAbsent(l.substring(0, eq), k -> new ArrayList<>()).add(l.substring(eq + 1));
      }
    }
    return settings;
  }

  private String one(String key) {
    List<String> values = service.get(key);
    assertTrue(values != null && values.size() == 1, "one " + key + "= in [Service]: " + values);
    return values.get(0);
  }

  private List<String> execStart() {
    return Arrays.asList(one("ExecStart").trim().split("\\s+"));
  }

  private String flag(String name) {
    List<String> words = execStart();
    int i = words.indexOf(name);
    assertTrue(i > 0 && i + 1 < words.size(), "ExecStart has no " + name);
    return words.get(i + 1);
  }

  @Test
  void theTokenComesFromACredentialNeverFromEnvironment() {
    for (String env : service.getOrDefault("Environment", List.of())) {
      assertFalse(env.contains("SLUICE_ADMIN_TOKEN"), "Environment= is readable by every user: " + env);
    }
    String[] credential = one("LoadCredential").split(":", 2);
    assertEquals("/etc/sluice/admin-token", credential[1]);
    assertEquals("${CREDENTIALS_DIRECTORY}/" + credential[0], flag("--admin-token-file"));
    assertFalse(execStart().contains("--admin-token"), "a token on the command line shows in ps");
  }

  @Test
  void aStopWaitsForTheDrain() {
    Duration drain = Examples.duration(at(config, "shutdown", "drainTimeout"));
    long timeout = Long.parseLong(one("TimeoutStopSec"));
    assertTrue(timeout >= drain.toSeconds() + 5, "TimeoutStopSec=" + timeout + " vs drainTimeout " + drain);
    assertEquals("SIGTERM", one("KillSignal"));
    assertEquals("on-failure", one("Restart"));
  }

  @Test
  void hardenedButWithSomewhereToWrite() {
    assertEquals("true", one("NoNewPrivileges"));
    assertEquals("strict", one("ProtectSystem"));
    assertEquals("true", one("PrivateTmp"));
    assertFalse(service.containsKey("MemoryDenyWriteExecute"), "the JVM's compiler writes executable memory");
    // Under ProtectSystem=strict only these are writable: the state directory and the private /tmp.
    String stateFile = flag("--state-file");
    assertTrue(stateFile.startsWith("/var/lib/" + one("StateDirectory") + "/"), stateFile);
    assertEquals("/tmp", at(config, "buffers", "tempDir"), "spooled bodies go to the private /tmp");
    assertEquals("/etc/sluice/sluice.yaml", flag("--config"));
    assertTrue(Long.parseLong(one("LimitNOFILE")) >= 65536, "every waiting request holds a descriptor");
    assertTrue(one("RestrictAddressFamilies").contains("AF_NETLINK"), "the kernel queues are read over netlink");
  }
}
