package io.sluice.it;

import static io.sluice.it.Eventually.eventually;
import static io.sluice.it.ScriptedBackend.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sluice run with only 256 file descriptors, hit by a spike four times that size: 503s, no crash, then normal. */
class FdLimitIT {

  @TempDir
  Path dir;

  @Test
  void aSpikeBeyondTheDescriptorLimitGets503sAndSluiceRecovers() throws Exception {
    try (ScriptedBackend b = ScriptedBackend.start(dir.resolve("b.sock"), (r, out) -> {
      Thread.sleep(2);
      write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      return false;
    })) {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Path log = dir.resolve("sluice.log");
      Process sluice = new ProcessBuilder("bash", "-c", "ulimit -n 256 && exec \"$0\" -jar target/sluice.jar"
          + " --listen 127.0.0.1:" + port + " --backend " + b.address() + " --admin off", java)
          .redirectErrorStream(true).redirectOutput(log.toFile()).start();
      Vertx clients = Vertx.vertx();
      try {
        awaitListening(sluice, port, log);
        Burst.Result r = Burst.fire(clients, new Address.Tcp("127.0.0.1", port), "/", 1000, Duration.ofSeconds(60))
            .await(120, TimeUnit.SECONDS);
        assertTrue(sluice.isAlive(), "Sluice is still running:\n" + Files.readString(log));
        assertEquals(1000, r.count(200) + r.count(503), "every client got 200 or 503, none an error: " + r);
        assertTrue(r.count(503) > 0, "with 256 descriptors some of 1000 must be refused: " + r);
        assertEquals(200, Http.get(URI.create("http://127.0.0.1:" + port + "/after")).statusCode());
        String text = Files.readString(log);
        assertTrue(text.contains("out of file descriptors") || !text.contains("Too many open files"), text);
      } finally {
        clients.close().await();
        sluice.destroy();
        sluice.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  private static void awaitListening(Process p, int port, Path log) throws Exception {
    eventually(() -> {
      assertTrue(p.isAlive(), "sluice exited: " + Files.readString(log));
      try (Socket s = new Socket("127.0.0.1", port)) {
        return null;
      } catch (IOException notYet) {
        return "sluice does not listen yet: " + Files.readString(log);
      }
    });
  }
}
