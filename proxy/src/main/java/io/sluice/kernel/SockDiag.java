package io.sluice.kernel;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Dumps of the listening sockets of this network namespace through sock_diag, and the byte layouts
 * of their requests and replies.
 */
final class SockDiag {

  /** TCP_LISTEN (include/net/tcp_states.h); Unix sockets reuse the TCP state numbers. */
  static final int TCP_LISTEN = 10;

  // include/uapi/linux/unix_diag.h
  static final int UDIAG_SHOW_NAME = 0x1;
  static final int UDIAG_SHOW_VFS = 0x2;
  static final int UDIAG_SHOW_RQLEN = 0x10;
  static final int UNIX_DIAG_NAME = 0;
  static final int UNIX_DIAG_VFS = 1;
  static final int UNIX_DIAG_RQLEN = 4;
  /** sizeof(struct unix_diag_msg): u8 family, type, state, pad; u32 ino; u32 cookie[2]. */
  static final int UNIX_DIAG_MSG_LEN = 16;

  // include/uapi/linux/inet_diag.h
  static final int INET_DIAG_SKV6ONLY = 11;
  /**
   * sizeof(struct inet_diag_msg): u8 family, state, timer, retrans (0..3); struct inet_diag_sockid
   * {be16 sport (4); be16 dport (6); be32 src[4] (8); be32 dst[4] (24); u32 if (40); u32 cookie[2] (44)};
   * u32 expires (52), rqueue (56), wqueue (60), uid (64), inode (68).
   */
  static final int INET_DIAG_MSG_LEN = 72;

  /** NLA_TYPE_MASK (include/uapi/linux/netlink.h): the type without NLA_F_NESTED / NLA_F_NET_BYTEORDER. */
  private static final int NLA_TYPE_MASK = 0x3fff;

  private SockDiag() {}

  /**
   * A listening Unix socket.
   *
   * @param inode the socket's inode, as in {@code /proc/self/fd} links {@code socket:[inode]}
   * @param name the path or {@code @abstract} name it is bound to, as given to bind(2); null if unbound
   * @param vfsIno the low 32 bits of the socket file's inode number, -1 for abstract sockets
   * @param vfsDev the socket file's device in the kernel's internal encoding (MAJOR << 20 | MINOR)
   * @param depth connections waiting to be accepted (UNIX_DIAG_RQLEN.udiag_rqueue)
   * @param max the backlog (UNIX_DIAG_RQLEN.udiag_wqueue, sk_max_ack_backlog)
   */
  record UnixListener(long inode, String name, long vfsIno, long vfsDev, int depth, int max) {}

  /**
   * A listening TCP socket. {@code address} is an {@link java.net.Inet4Address} for AF_INET sockets
   * and for AF_INET6 sockets bound to an IPv4-mapped address.
   *
   * @param depth established connections waiting to be accepted (idiag_rqueue, sk_ack_backlog)
   * @param max the backlog (idiag_wqueue, sk_max_ack_backlog)
   */
  record TcpListener(InetAddress address, int port, boolean v6Only, long inode, int depth, int max) {}

  /** Every listening Unix socket (stream and seqpacket). */
  static List<UnixListener> unixListeners(SockDiagSocket socket) throws IOException {
    List<UnixListener> out = new ArrayList<>();
    for (ByteBuffer m : socket.dump(unixRequest())) {
      UnixListener l = parseUnix(m);
      if (l != null) {
        out.add(l);
      }
    }
    return out;
  }

  /** Every listening TCP socket of one family, {@link Native#AF_INET} or {@link Native#AF_INET6}. */
  static List<TcpListener> tcpListeners(SockDiagSocket socket, int family) throws IOException {
    List<TcpListener> out = new ArrayList<>();
    for (ByteBuffer m : socket.dump(tcpRequest(family))) {
      TcpListener l = parseTcp(m);
      if (l != null) {
        out.add(l);
      }
    }
    return out;
  }

  /**
   * struct unix_diag_req {u8 sdiag_family; u8 sdiag_protocol; u16 pad; u32 udiag_states;
   * u32 udiag_ino; u32 udiag_show; u32 udiag_cookie[2];}, 24 bytes.
   */
  static byte[] unixRequest() {
    return ByteBuffer.allocate(24)
        .order(SockDiagSocket.HOST)
        .put((byte) Native.AF_UNIX)
        .put((byte) 0)
        .putShort((short) 0)
        .putInt(1 << TCP_LISTEN)
        .putInt(0) // any inode: a dump
        .putInt(UDIAG_SHOW_NAME | UDIAG_SHOW_VFS | UDIAG_SHOW_RQLEN)
        .putInt(-1) // cookie INET_DIAG_NOCOOKIE, unused by dumps
        .putInt(-1)
        .array();
  }

  /**
   * struct inet_diag_req_v2 {u8 sdiag_family; u8 sdiag_protocol; u8 idiag_ext; u8 pad;
   * u32 idiag_states; struct inet_diag_sockid id;}, 56 bytes; the socket id is unused by dumps.
   */
  static byte[] tcpRequest(int family) {
    ByteBuffer b = ByteBuffer.allocate(56).order(SockDiagSocket.HOST);
    b.put((byte) family).put((byte) Native.IPPROTO_TCP).put((byte) 0).put((byte) 0).putInt(1 << TCP_LISTEN);
    b.putInt(48, -1).putInt(52, -1); // id.idiag_cookie = INET_DIAG_NOCOOKIE
    return b.array();
  }

  /** One struct unix_diag_msg and its attributes; null if it is not a listener or lacks its queue lengths. */
  static UnixListener parseUnix(ByteBuffer m) {
    if (m.limit() < UNIX_DIAG_MSG_LEN || m.get(2) != TCP_LISTEN) {
      return null;
    }
    long inode = Integer.toUnsignedLong(m.getInt(4));
    String name = null;
    long vfsIno = -1;
    long vfsDev = -1;
    int depth = -1;
    int max = -1;
    for (int off = UNIX_DIAG_MSG_LEN; m.limit() - off >= 4; ) {
      int len = Short.toUnsignedInt(m.getShort(off));
      int type = m.getShort(off + 2) & NLA_TYPE_MASK;
      if (len < 4 || len > m.limit() - off) {
        break;
      }
      int value = off + 4;
      int valueLen = len - 4;
      if (type == UNIX_DIAG_NAME) {
        name = unixName(m, value, valueLen);
      } else if (type == UNIX_DIAG_VFS && valueLen >= 8) {
        // struct unix_diag_vfs {u32 udiag_vfs_ino; u32 udiag_vfs_dev;}
        vfsIno = Integer.toUnsignedLong(m.getInt(value));
        vfsDev = Integer.toUnsignedLong(m.getInt(value + 4));
      } else if (type == UNIX_DIAG_RQLEN && valueLen >= 8) {
        // struct unix_diag_rqlen {u32 udiag_rqueue; u32 udiag_wqueue;}
        depth = m.getInt(value);
        max = m.getInt(value + 4);
      }
      off += SockDiagSocket.align(len);
    }
    return depth < 0 ? null : new UnixListener(inode, name, vfsIno, vfsDev, depth, max);
  }

  /**
   * The sun_path bytes as bound: a path, possibly with its terminating NUL counted in, or an abstract
   * name starting with NUL, shown as {@code @name} like ss(8) does.
   */
  private static String unixName(ByteBuffer m, int off, int len) {
    byte[] bytes = new byte[len];
    m.get(off, bytes);
    if (len > 0 && bytes[0] == 0) {
      return "@" + new String(bytes, 1, len - 1, StandardCharsets.UTF_8);
    }
    int end = 0;
    while (end < len && bytes[end] != 0) {
      end++;
    }
    return new String(bytes, 0, end, StandardCharsets.UTF_8);
  }

  /** One struct inet_diag_msg and its attributes; null if it is not a listener. */
  static TcpListener parseTcp(ByteBuffer m) {
    if (m.limit() < INET_DIAG_MSG_LEN || m.get(1) != TCP_LISTEN) {
      return null;
    }
    int family = m.get(0);
    int port = (m.get(4) & 0xff) << 8 | (m.get(5) & 0xff); // idiag_sport is big-endian
    byte[] src = new byte[family == Native.AF_INET6 ? 16 : 4];
    m.get(8, src);
    InetAddress address;
    try {
      // getByAddress turns an IPv4-mapped IPv6 address into an Inet4Address.
      address = InetAddress.getByAddress(src);
    } catch (UnknownHostException e) {
      return null; // cannot happen with 4 or 16 bytes
    }
    boolean v6Only = false;
    for (int off = INET_DIAG_MSG_LEN; m.limit() - off >= 4; ) {
      int len = Short.toUnsignedInt(m.getShort(off));
      int type = m.getShort(off + 2) & NLA_TYPE_MASK;
      if (len < 4 || len > m.limit() - off) {
        break;
      }
      // inet_diag_msg_attrs_fill (net/ipv4/inet_diag.c) adds this u8 for AF_INET6 listeners.
      if (type == INET_DIAG_SKV6ONLY && len > 4) {
        v6Only = m.get(off + 4) != 0;
      }
      off += SockDiagSocket.align(len);
    }
    return new TcpListener(
        address,
        port,
        v6Only,
        Integer.toUnsignedLong(m.getInt(68)),
        m.getInt(56),
        m.getInt(60));
  }
}
