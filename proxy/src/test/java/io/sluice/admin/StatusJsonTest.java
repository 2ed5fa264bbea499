package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.server.RequestOutcome;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class StatusJsonTest {

  @Test
  void theShapeOfSpecMd() {
    JsonObject s = StatusJson.render(new FakeControl(FakeControl.defaults()).status());
    assertEquals(new JsonObject("{\"address\":\"127.0.0.1:8080\",\"backlog\":{\"setting\":\"max\",\"effective\":4096,"
        + "\"somaxconn\":4096},\"kernelQueue\":{\"depth\":0,\"max\":4096}}"), s.getJsonArray("listeners").getValue(0));
    assertEquals(new JsonObject("{\"depth\":0,\"peak\":12,\"max\":\"max\",\"effectiveMax\":19000,\"timeoutMs\":60000,"
        + "\"oldestWaitMs\":250,\"drainPerSecond\":42.3,\"discipline\":\"fifo\",\"targetMs\":60000,\"mode\":\"normal\","
        + "\"modeChangedAgoMs\":null}"), s.getJsonObject("queue"));
    assertEquals(new JsonObject("{\"name\":\"app\",\"address\":\"unix:/run/app.sock\",\"protocol\":\"uwsgi\","
        + "\"limit\":{\"setting\":\"auto\",\"current\":3,\"lastDecision\":{\"direction\":\"up\",\"reason\":"
        + "\"slow_start\",\"from\":2,\"to\":3,\"agoMs\":1234}},\"inflight\":1,\"paused\":false,"
        + "\"connections\":{\"open\":1,\"idle\":0},\"retries\":{\"stale_connection\":0},"
        + "\"kernelQueue\":{\"depth\":2,\"max\":100}}"), s.getJsonArray("backends").getValue(0));
    assertEquals(new JsonObject("{\"soft\":20000,\"hard\":20000,\"open\":31}"), s.getJsonObject("fds"));
    assertEquals(new JsonObject("{\"memory\":4096,\"disk\":65536,\"memoryBudget\":1048576,"
        + "\"diskBudget\":1073741824}"), s.getJsonObject("buffers"));
  }

  @Test
  void anExplicitSettingIsANumberAndAnUnknownKernelQueueIsNullWithItsReason() {
    JsonObject b2 = StatusJson.render(new FakeControl(FakeControl.defaults()).status())
        .getJsonArray("backends").getJsonObject(1);
    assertEquals(4, b2.getJsonObject("limit").getValue("setting"));
    assertTrue(b2.getJsonObject("limit").containsKey("lastDecision"), "a limit that never moved says so");
    assertEquals(null, b2.getJsonObject("limit").getValue("lastDecision"));
    assertTrue(b2.containsKey("kernelQueue") && b2.getValue("kernelQueue") == null);
    assertEquals("no listener", b2.getString("kernelQueueUnknown"));
  }

  @Test
  void totalsHaveEveryOutcomeAndTheSpecNames() {
    JsonObject totals = StatusJson.render(new FakeControl(FakeControl.defaults()).status()).getJsonObject("totals");
    assertEquals(100L, totals.getLong("received"));
    for (String name : new String[] {"served", "queueFull", "queueTimeout", "backendErrors"}) {
      assertTrue(totals.containsKey(name), name);
    }
    assertEquals(RequestOutcome.values().length + 1, totals.size());
    assertEquals((long) RequestOutcome.CLIENT_GONE.ordinal(), totals.getLong("clientGone"));
    assertEquals("backendTimeouts", StatusJson.totalName("backend_timeout"));
    assertEquals("tooLarge", StatusJson.totalName("too_large"));
  }
}
