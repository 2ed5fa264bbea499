package io.sluice.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend whose every answer a test writes by hand: a blocking HTTP/1.1 server on a Unix socket, one thread per
 * connection, that parses each request and lets a {@link Script} write raw response bytes (or misbehave).
 */
final class ScriptedBackend implements AutoCloseable {

  /** One parsed request. {@code headers} keys are lower case. */
  record Request(String method, String target, Map<String, List<String>> headers, byte[] body) {
    String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null ? null : v.get(0);
    }
  }

  /** Answers one request; returns whether to read another request on the same connection. */
  @FunctionalInterface
  interface Script {
    boolean answer(Request request, OutputStream out) throws Exception;
  }

  final List<Request> seen = new CopyOnWriteArrayList<>();
  final AtomicInteger connections = new AtomicInteger();
  private final ServerSocketChannel server;
  private final Path path;
  private final Thread acceptor;
  private final List<SocketChannel> open = new CopyOnWriteArrayList<>();

  private ScriptedBackend(ServerSocketChannel server, Path path, Script script) {
    this.server = server;
    this.path = path;
    this.acceptor = new Thread(() -> acceptLoop(script), "scripted-backend");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  static ScriptedBackend start(Path socket, Script script) throws IOException {
    Files.deleteIfExists(socket);
    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    s.bind(UnixDomainSocketAddress.of(socket), 64);
    return new ScriptedBackend(s, socket, script);
  }

  String address() {
    return "unix:" + path;
  }

  private void acceptLoop(Script script) {
    while (server.isOpen()) {
      try {
        SocketChannel ch = server.accept();
        connections.incrementAndGet();
        open.add(ch);
        Thread t = new Thread(() -> serve(ch, script), "scripted-backend-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(SocketChannel ch, Script script) {
    try (ch) {
      InputStream in = Channels.newInputStream(ch);
      OutputStream out = Channels.newOutputStream(ch);
      while (true) {
        Request r = read(in);
        if (r == null) {
          return;
        }
        seen.add(r);
        boolean again = script.answer(r, out);
        out.flush();
        if (!again) {
          return;
        }
      }
    } catch (Exception e) {
      // the connection is over, however it ended
    }
  }

  private static Request read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String[] start = lines[0].split(" ");
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
            .add(lines[i].substring(colon + 1).trim());
      }
    }
    List<String> cl = headers.get("content-length");
    byte[] body = cl == null ? new byte[0] : in.readNBytes(Integer.parseInt(cl.get(0)));
    return new Request(start[0], start[1], headers, body);
  }

  static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (SocketChannel ch : open) {
      ch.close();
    }
    Files.deleteIfExists(path);
  }
}
