package io.sluice.admin;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.config.Address;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AccessTest {

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "127.1.2.3", "0:0:0:0:0:0:0:1", "::1", "::ffff:127.0.0.1"})
  void loopbackClients(String host) {
    assertTrue(Access.isLoopback(SocketAddress.inetSocketAddress(40000, host)), host);
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.5", "192.168.1.2", "172.17.0.1", "::2", "fe80::1", "128.0.0.1", "0.0.0.0",
      "localhost.evil.example"})
  void otherClients(String host) {
    assertFalse(Access.isLoopback(SocketAddress.inetSocketAddress(40000, host)), host);
  }

  @Test
  void aUnixSocketClientIsLocal() {
    assertTrue(Access.isLoopback(SocketAddress.domainSocketAddress("/run/admin.sock")));
    assertFalse(Access.isLoopback(null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "localhost:9901", "LOCALHOST:1", "127.0.0.1:9901", "127.0.0.1", "[::1]:9901",
      "[::1]", "10.1.2.3:9901"})
  void hostHeadersNamingThisMachine(String host) {
    assertTrue(Access.namesThisMachine(host), host);
  }

  @ParameterizedTest
  @ValueSource(strings = {"evil.example", "evil.example:9901", "localhost.evil.example", "127.0.0.1.nip.io:9901",
      "[evil]:1", "", "sluice"})
  void hostHeadersThatARebindingPageWouldSend(String host) {
    assertFalse(Access.namesThisMachine(host), host);
  }

  @Test
  void onlyLoopbackAndUnixAddressesAreLocalOnly() {
    assertTrue(Access.isLocalOnly(new Address.Tcp("127.0.0.1", 9901)));
    assertTrue(Access.isLocalOnly(new Address.Tcp("::1", 9901)));
    assertTrue(Access.isLocalOnly(new Address.Tcp("localhost", 9901)));
    assertTrue(Access.isLocalOnly(new Address.Unix(Path.of("/run/admin.sock"))));
    assertFalse(Access.isLocalOnly(new Address.Tcp("", 9901)));
    assertFalse(Access.isLocalOnly(new Address.Tcp("0.0.0.0", 9901)));
    assertFalse(Access.isLocalOnly(new Address.Tcp("::", 9901)));
    assertFalse(Access.isLocalOnly(new Address.Tcp("admin.internal", 9901)));
  }
}
