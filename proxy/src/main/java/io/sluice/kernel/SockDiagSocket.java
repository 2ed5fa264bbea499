package io.sluice.kernel;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A NETLINK_SOCK_DIAG socket that sends one dump request at a time and reads its whole reply.
 *
 * <p>Needs no privilege: sock_diag dumps are open to every user, but only show sockets of the caller's
 * network namespace. Not thread-safe; the owner serialises calls. Blocking, with a receive timeout so
 * a lost reply cannot hang the calling thread.
 *
 * <p>Wire format (include/uapi/linux/netlink.h): each message starts with {@code struct nlmsghdr
 * {u32 len; u16 type; u16 flags; u32 seq; u32 pid}} in host byte order, and messages and attributes
 * are padded to 4 bytes.
 */
final class SockDiagSocket implements Closeable {

  // include/uapi/linux/netlink.h
  static final int NETLINK_SOCK_DIAG = 4;
  static final int NLMSG_HDRLEN = 16;
  static final int NLMSG_ERROR = 2;
  static final int NLMSG_DONE = 3;
  static final int NLM_F_REQUEST = 0x1;
  static final int NLM_F_DUMP = 0x300;
  // include/uapi/linux/sock_diag.h
  static final int SOCK_DIAG_BY_FAMILY = 20;

  static final ByteOrder HOST = ByteOrder.nativeOrder();

  // netlink_recvmsg (net/netlink/af_netlink.c) sizes dump messages to at most 32 KiB,
  // so a buffer twice that never truncates one.
  private static final int BUFFER = 64 * 1024;
  private static final long TIMEOUT_SECONDS = 2;

  private final Native.LibC libc;
  private final int fd;
  private final Pointer buffer;
  private int seq;
  private boolean closed;
  private boolean broken;

  private SockDiagSocket(Native.LibC libc, int fd) {
    this.libc = libc;
    this.fd = fd;
    this.buffer = Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(libc), BUFFER);
  }

  /** Opens the socket; fails when netlink is refused (seccomp, gVisor, no sock_diag in the kernel). */
  static SockDiagSocket open() throws IOException {
    Native.LibC libc = Native.libc();
    int fd = libc.socket(Native.AF_NETLINK, Native.SOCK_RAW | Native.SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
      throw Native.failure("socket(AF_NETLINK, NETLINK_SOCK_DIAG)", Native.errno());
    }
    long[] timeval = {TIMEOUT_SECONDS, 0};
    if (libc.setsockopt(fd, Native.SOL_SOCKET, Native.SO_RCVTIMEO, timeval, 16) < 0) {
      int errno = Native.errno();
      libc.close(fd);
      throw Native.failure("setsockopt(SO_RCVTIMEO)", errno);
    }
    return new SockDiagSocket(libc, fd);
  }

  /**
   * Sends a SOCK_DIAG_BY_FAMILY dump request with {@code body} (a unix_diag_req or inet_diag_req_v2)
   * and returns the body of every reply message, in host byte order, positioned at 0.
   *
   * @throws Native.ErrnoException when the kernel answers NLMSG_ERROR (e.g. ENOENT: no such family)
   * @throws IOException on a failed send or receive, a timeout, or a malformed reply
   */
  List<ByteBuffer> dump(byte[] body) throws IOException {
    if (closed) {
      throw new IOException("sock_diag socket closed");
    }
    int requestSeq = ++seq;
    byte[] request = request(requestSeq, body);
    // Until the reply is read through, a failure may leave part of it queued: the socket is broken.
    broken = true;
    long sent = libc.send(fd, request, request.length, 0);
    if (sent < 0) {
      throw Native.failure("send(NETLINK_SOCK_DIAG)", Native.errno());
    }
    List<ByteBuffer> replies = new ArrayList<>();
    while (true) {
      long n = libc.recv(fd, buffer, BUFFER, 0);
      if (n < 0) {
        int errno = Native.errno();
        if (errno == Native.EINTR) {
          continue;
        }
        throw errno == Native.EAGAIN
            ? new IOException("sock_diag: no reply within " + TIMEOUT_SECONDS + "s")
            : Native.failure("recv(NETLINK_SOCK_DIAG)", errno);
      }
      byte[] bytes = new byte[(int) n];
      buffer.get(0, bytes, 0, bytes.length);
      boolean done;
      try {
        done = parse(ByteBuffer.wrap(bytes).order(HOST), requestSeq, replies);
      } catch (Native.ErrnoException e) {
        broken = false; // the kernel's NLMSG_ERROR is its whole answer
        throw e;
      }
      if (done) {
        broken = false;
        return replies;
      }
    }
  }

  /**
   * Whether a request failed midway (timeout, receive error, malformed reply). Replies to an earlier
   * request are skipped by sequence number anyway; reopening merely avoids reading through them.
   */
  boolean broken() {
    return broken;
  }

  /** The request: nlmsghdr followed by the family-specific body. */
  static byte[] request(int seq, byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(NLMSG_HDRLEN + body.length).order(HOST);
    b.putInt(NLMSG_HDRLEN + body.length)
        .putShort((short) SOCK_DIAG_BY_FAMILY)
        .putShort((short) (NLM_F_REQUEST | NLM_F_DUMP))
        .putInt(seq)
        .putInt(0) // port id 0 addresses the kernel
        .put(body);
    return b.array();
  }

  /**
   * Adds the bodies of the messages in one datagram to {@code out}; true once NLMSG_DONE is seen.
   * Messages with another sequence number are left-overs of an earlier, abandoned request.
   */
  static boolean parse(ByteBuffer datagram, int seq, List<ByteBuffer> out) throws IOException {
    int off = 0;
    int end = datagram.limit();
    while (end - off >= NLMSG_HDRLEN) {
      int len = datagram.getInt(off);
      int type = Short.toUnsignedInt(datagram.getShort(off + 4));
      int msgSeq = datagram.getInt(off + 8);
      if (len < NLMSG_HDRLEN || len > end - off) {
        throw new IOException("sock_diag: malformed reply (message length " + len + " at " + off + ")");
      }
      if (msgSeq == seq) {
        int bodyLen = len - NLMSG_HDRLEN;
        int body = off + NLMSG_HDRLEN;
        if (type == NLMSG_DONE) {
          // Its body, when present, is the dump's final status: 0 or a negative errno.
          int status = bodyLen >= 4 ? datagram.getInt(body) : 0;
          if (status < 0) {
            throw Native.failure("sock_diag dump", -status);
          }
          return true;
        }
        if (type == NLMSG_ERROR) {
          // struct nlmsgerr {int error; struct nlmsghdr msg;}: 0 is an acknowledgement.
          int error = bodyLen >= 4 ? datagram.getInt(body) : 0;
          if (error < 0) {
            throw Native.failure("sock_diag request", -error);
          }
        } else {
          out.add(datagram.slice(body, bodyLen).order(HOST));
        }
      }
      off += align(len);
    }
    return false;
  }

  /** NLMSG_ALIGN / NLA_ALIGN: round up to 4 bytes. */
  static int align(int len) {
    return (len + 3) & ~3;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      libc.close(fd);
    }
  }
}
