package io.sluice.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.kernel.SockDiag.TcpListener;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which TCP listener a connection reaches, on synthetic sock_diag entries. */
class MatchTest {

  @Test
  void anExactAddressBeatsAWildcard() throws Exception {
    TcpListener any = listener("0.0.0.0", 8000, false, 1);
    TcpListener loopback = listener("127.0.0.1", 8000, false, 2);
    assertEquals(List.of(loopback), Match.tcp(target("127.0.0.1", 8000), List.of(any, loopback)));
    assertEquals(List.of(any), Match.tcp(target("127.0.0.1", 8000), List.of(any)));
    assertEquals(List.of(), Match.tcp(target("127.0.0.1", 8001), List.of(any, loopback)));
  }

  @Test
  void aDualStackWildcardServesIpv4UnlessV6Only() throws Exception {
    TcpListener dual = listener("::", 8000, false, 1);
    TcpListener v6Only = listener("::", 8000, true, 2);
    assertEquals(List.of(dual), Match.tcp(target("127.0.0.1", 8000), List.of(dual)));
    assertEquals(List.of(dual), Match.tcp(target("0.0.0.0", 8000), List.of(dual)));
    assertEquals(List.of(), Match.tcp(target("127.0.0.1", 8000), List.of(v6Only)));
    assertEquals(List.of(v6Only), Match.tcp(target("::1", 8000), List.of(v6Only)));
  }

  @Test
  void anIpv4WildcardDoesNotServeIpv6() throws Exception {
    assertEquals(List.of(), Match.tcp(target("::1", 8000), List.of(listener("0.0.0.0", 8000, false, 1))));
  }

  @Test
  void aWildcardDoesNotServeARemoteHost() throws Exception {
    // 192.0.2.0/24 is TEST-NET-1: never assigned to an interface here.
    assertEquals(List.of(), Match.tcp(target("192.0.2.10", 8000), List.of(listener("0.0.0.0", 8000, false, 1))));
  }

  @Test
  void reusePortGroupsComeTogether() throws Exception {
    TcpListener a = listener("127.0.0.1", 8000, false, 1);
    TcpListener b = listener("127.0.0.1", 8000, false, 2);
    List<TcpListener> found = Match.tcp(target("127.0.0.1", 8000), List.of(a, b, listener("0.0.0.0", 8000, false, 3)));
    assertEquals(2, found.size());
    assertTrue(found.containsAll(List.of(a, b)));
  }

  private static TcpListener listener(String address, int port, boolean v6Only, long inode) throws Exception {
    return new TcpListener(InetAddress.getByName(address), port, v6Only, inode, 0, 128);
  }

  private static InetSocketAddress target(String address, int port) throws Exception {
    return new InetSocketAddress(InetAddress.getByName(address), port);
  }
}
