package io.sluice.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.kernel.SockDiag.TcpListener;
import io.sluice.kernel.SockDiag.UnixListener;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Byte layouts of sock_diag requests and replies, built by hand from the uapi headers. */
class SockDiagCodecTest {

  @Test
  void unixDumpRequestIsNlmsghdrThenUnixDiagReq() {
    ByteBuffer b = host(SockDiagSocket.request(7, SockDiag.unixRequest()));
    assertEquals(40, b.limit());
    assertEquals(40, b.getInt(0)); // nlmsg_len
    assertEquals(20, b.getShort(4)); // SOCK_DIAG_BY_FAMILY
    assertEquals(0x301, b.getShort(6)); // NLM_F_REQUEST | NLM_F_DUMP
    assertEquals(7, b.getInt(8)); // nlmsg_seq
    assertEquals(0, b.getInt(12)); // nlmsg_pid: the kernel
    assertEquals(1, b.get(16)); // AF_UNIX
    assertEquals(0, b.get(17));
    assertEquals(1 << 10, b.getInt(20)); // LISTEN
    assertEquals(0, b.getInt(24)); // any inode
    assertEquals(0x13, b.getInt(28)); // NAME | VFS | RQLEN
    assertEquals(-1, b.getInt(32));
    assertEquals(-1, b.getInt(36));
  }

  @Test
  void tcpDumpRequestIsNlmsghdrThenInetDiagReqV2() {
    ByteBuffer b = host(SockDiagSocket.request(1, SockDiag.tcpRequest(Native.AF_INET6)));
    assertEquals(72, b.limit());
    assertEquals(72, b.getInt(0));
    assertEquals(10, b.get(16)); // AF_INET6
    assertEquals(6, b.get(17)); // IPPROTO_TCP
    assertEquals(0, b.get(18)); // no extensions
    assertEquals(1 << 10, b.getInt(20));
    for (int i = 24; i < 64; i++) {
      assertEquals(0, b.get(i), "sockid byte " + i);
    }
    assertEquals(-1, b.getInt(64)); // id.idiag_cookie
    assertEquals(-1, b.getInt(68));
  }

  @Test
  void parsesAMultipartReplyUpToDoneAndSkipsOtherRequests() throws Exception {
    byte[] datagram = concat(
        message(5, 20, new byte[] {1, 2, 3}), // padded to 20
        message(4, 20, new byte[] {9}), // an abandoned earlier request
        message(5, 20, new byte[] {4, 5, 6, 7}));
    List<ByteBuffer> out = new ArrayList<>();
    assertFalse(SockDiagSocket.parse(host(datagram), 5, out));
    assertEquals(2, out.size());
    assertEquals(3, out.get(0).limit());
    assertEquals(3, out.get(0).get(2));
    assertEquals(7, out.get(1).get(3));
    assertTrue(SockDiagSocket.parse(host(message(5, SockDiagSocket.NLMSG_DONE, le(0))), 5, out));
    assertEquals(2, out.size());
  }

  @Test
  void anErrorReplyCarriesItsErrno() {
    byte[] error = concat(le(-2), new byte[16]); // struct nlmsgerr: -ENOENT, then the request's header
    Native.ErrnoException e = assertThrows(Native.ErrnoException.class,
        () -> SockDiagSocket.parse(host(message(3, SockDiagSocket.NLMSG_ERROR, error)), 3, new ArrayList<>()));
    assertEquals(2, e.errno());
    assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
  }

  @Test
  void aTruncatedMessageIsAnError() {
    ByteBuffer b = host(message(1, 20, new byte[8]));
    b.putInt(0, 64);
    assertThrows(java.io.IOException.class, () -> SockDiagSocket.parse(b, 1, new ArrayList<>()));
  }

  @Test
  void parsesAUnixListenerWithNameVfsAndQueueLengths() {
    ByteBuffer m = host(concat(
        unixMsg(SockDiag.TCP_LISTEN, 123456),
        attr(SockDiag.UNIX_DIAG_NAME, "/run/app.sock\0".getBytes(StandardCharsets.UTF_8)), // 14: padded
        attr(SockDiag.UNIX_DIAG_VFS, concat(le(777), le((8 << 20) | 3))),
        attr(SockDiag.UNIX_DIAG_RQLEN, concat(le(3), le(100)))));
    assertEquals(new UnixListener(123456, "/run/app.sock", 777, (8 << 20) | 3, 3, 100), SockDiag.parseUnix(m));
  }

  @Test
  void namesAbstractUnixSocketsLikeSs() {
    ByteBuffer m = host(concat(
        unixMsg(SockDiag.TCP_LISTEN, 9),
        attr(SockDiag.UNIX_DIAG_NAME, "\0hidden".getBytes(StandardCharsets.UTF_8)),
        attr(SockDiag.UNIX_DIAG_RQLEN, concat(le(0), le(5)))));
    UnixListener l = SockDiag.parseUnix(m);
    assertEquals("@hidden", l.name());
    assertEquals(-1, l.vfsIno());
  }

  @Test
  void ignoresUnixSocketsThatAreNotListening() {
    assertNull(SockDiag.parseUnix(host(concat(unixMsg(1, 9), attr(SockDiag.UNIX_DIAG_RQLEN, new byte[8])))));
  }

  @Test
  void parsesTcpListenersOfBothFamilies() throws Exception {
    byte[] v4 = new byte[16];
    System.arraycopy(new byte[] {127, 0, 0, 1}, 0, v4, 0, 4);
    TcpListener l4 = SockDiag.parseTcp(host(inetMsg(Native.AF_INET, 8080, v4, 2, 4096, 0xfffffff0, new byte[0])));
    assertEquals(new TcpListener(InetAddress.getByName("127.0.0.1"), 8080, false, 0xfffffff0L, 2, 4096), l4);

    byte[] mapped = InetAddress.getByName("::ffff:10.1.2.3").getAddress(); // Java hands back 4 bytes
    byte[] v6 = new byte[16];
    v6[10] = (byte) 0xff;
    v6[11] = (byte) 0xff;
    System.arraycopy(mapped, 0, v6, 12, 4);
    TcpListener l6 = SockDiag.parseTcp(host(inetMsg(Native.AF_INET6, 443, v6, 0, 50, 1, new byte[0])));
    assertEquals(InetAddress.getByName("10.1.2.3"), l6.address());
    assertEquals(443, l6.port());

    TcpListener any6 = SockDiag.parseTcp(host(inetMsg(Native.AF_INET6, 65535, new byte[16], 0, 50, 1,
        attr(SockDiag.INET_DIAG_SKV6ONLY, new byte[] {1}))));
    assertTrue(any6.address().isAnyLocalAddress());
    assertEquals(65535, any6.port());
    assertTrue(any6.v6Only());
  }

  @Test
  void convertsTheKernelDeviceNumberToStatEncoding() {
    assertEquals(0x28, Match.userDev(40)); // 0:40, a tmpfs
    assertEquals(0x803, Match.userDev((8L << 20) | 3)); // 8:3, sda3
    // 259:300 (nvme partitions have minors past 255): minor's high bits move above the major.
    assertEquals((300 & 0xff) | (259 << 8) | ((300L & ~0xff) << 12), Match.userDev((259L << 20) | 300));
  }

  private static ByteBuffer host(byte[] bytes) {
    return ByteBuffer.wrap(bytes).order(SockDiagSocket.HOST);
  }

  private static byte[] le(int v) {
    return ByteBuffer.allocate(4).order(SockDiagSocket.HOST).putInt(v).array();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] padded(byte[] b, int len) {
    return java.util.Arrays.copyOf(b, SockDiagSocket.align(len));
  }

  /** nlmsghdr + body, padded to 4 bytes; nlmsg_len excludes the padding as the kernel does. */
  private static byte[] message(int seq, int type, byte[] body) {
    byte[] header = ByteBuffer.allocate(16).order(SockDiagSocket.HOST)
        .putInt(16 + body.length).putShort((short) type).putShort((short) 2).putInt(seq).putInt(0).array();
    return padded(concat(header, body), 16 + body.length);
  }

  private static byte[] attr(int type, byte[] value) {
    byte[] header = ByteBuffer.allocate(4).order(SockDiagSocket.HOST)
        .putShort((short) (4 + value.length)).putShort((short) type).array();
    return padded(concat(header, value), 4 + value.length);
  }

  private static byte[] unixMsg(int state, int inode) {
    return ByteBuffer.allocate(16).order(SockDiagSocket.HOST)
        .put((byte) 1).put((byte) 1).put((byte) state).put((byte) 0).putInt(inode).putInt(-1).putInt(-1).array();
  }

  private static byte[] inetMsg(int family, int port, byte[] src16, int rqueue, int wqueue, int inode, byte[] attrs) {
    ByteBuffer b = ByteBuffer.allocate(72).order(SockDiagSocket.HOST);
    b.put((byte) family).put((byte) SockDiag.TCP_LISTEN).put((byte) 0).put((byte) 0);
    b.put((byte) (port >> 8)).put((byte) port); // sport, big-endian
    b.position(8);
    b.put(src16);
    b.putInt(56, rqueue).putInt(60, wqueue).putInt(68, inode);
    return concat(b.array(), attrs);
  }
}
