package io.sluice.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin token read from a file, end to end: the packaged jar in its own process given {@code --admin-token-file}
 * (as the systemd unit passes its credential) or {@code admin.tokenFile} (as a Kubernetes Secret is mounted). Without
 * the token the API answers 401, with it 200, and the token is nowhere on the process's command line.
 */
class AdminTokenFileIT {

  @TempDir
  Path dir;

  /** A token file as {@code openssl rand -hex 32 > FILE} writes it: the token and a line break. */
  private Path tokenFile(String token) throws Exception {
    return Files.writeString(dir.resolve("admin-token"), token + "\n");
  }

  @Test
  void theFlagsFileGuardsTheApi() throws Exception {
    String token = "flag-" + UUID.randomUUID();
    Path file = tokenFile(token);
    try (PackagedSluice sluice = PackagedSluice.start(dir, "--admin-token-file", file.toString())) {
      assertGuardedBy(sluice, token);
    }
  }

  @Test
  void theConfigurationsTokenFileGuardsTheApi() throws Exception {
    String token = "yaml-" + UUID.randomUUID();
    Path file = tokenFile(token);
    Path config = Files.write(dir.resolve("sluice.yaml"), List.of("admin:", "  tokenFile: " + file));
    try (PackagedSluice sluice = PackagedSluice.start(dir, "--config", config.toString())) {
      assertGuardedBy(sluice, token);
    }
  }

  private static void assertGuardedBy(PackagedSluice sluice, String token) throws Exception {
    for (String path : List.of("/api/v1/status", "/api/v1/limits", "/api/v1/history", "/metrics")) {
      PackagedSluice.Response without = sluice.admin(path);
      assertEquals(401, without.status(), path + ": " + without.body());
      assertTrue(without.head().contains("\r\nWWW-Authenticate: Bearer realm=\"sluice\""), without.head());
      assertEquals(401, sluice.admin(path, "Authorization: Bearer not-" + token).status(), path);
      PackagedSluice.Response with = sluice.admin(path, "Authorization: Bearer " + token);
      assertEquals(200, with.status(), path + ": " + with.body());
    }
    JsonObject status = new JsonObject(sluice.admin("/api/v1/status", "Authorization: Bearer " + token).body());
    assertEquals("app", status.getJsonArray("backends").getJsonObject(0).getString("name"));
    assertEquals(200, sluice.admin("/healthz").status(), "health needs no token");
    assertTrue(sluice.commandLine().contains("sluice.jar"), "the command line as ps shows it: " + sluice.commandLine());
    assertFalse(sluice.commandLine().contains(token), sluice.commandLine());
    assertTrue(sluice.log().contains("(bearer token required)"), sluice.log());
  }
}
