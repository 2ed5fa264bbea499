package io.sluice.admin;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** One HTTP/1.1 exchange written by hand: any Host header, and Unix sockets, which the JDK's client cannot do. */
final class RawHttp {

  /** The status code and the body of the answer. */
  record Answer(int status, String head, String body) {
  }

  private RawHttp() {
  }

  static Answer tcp(int port, String requestHead) throws IOException {
    return exchange(new InetSocketAddress("127.0.0.1", port), StandardProtocolFamily.INET, requestHead);
  }

  static Answer unix(Path socket, String requestHead) throws IOException {
    return exchange(UnixDomainSocketAddress.of(socket), StandardProtocolFamily.UNIX, requestHead);
  }

  private static Answer exchange(SocketAddress to, StandardProtocolFamily family, String requestHead)
      throws IOException {
    try (SocketChannel ch = SocketChannel.open(family)) {
      ch.connect(to);
      ch.write(ByteBuffer.wrap((requestHead + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
      InputStream in = Channels.newInputStream(ch);
      String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int end = all.indexOf("\r\n\r\n");
      String head = all.substring(0, end);
      return new Answer(Integer.parseInt(head.substring(9, 12)), head, all.substring(end + 4));
    }
  }
}
