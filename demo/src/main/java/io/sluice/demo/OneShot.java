package io.sluice.demo;

import io.sluice.demo.SpikeResult.Failure;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One request of a spike on its own connection: connect, write the request, read the response, report one
 * {@link Outcome} exactly once. The response ends when its {@code Content-Length} is reached, or else when the
 * server closes.
 *
 * <p>Threads: after the connect, every callback (data, close, timer) runs on the connection's event loop, so the
 * state needs no locking; the outcome consumer is called on that loop, or on whichever thread completes a
 * failed connect.
 */
final class OneShot {

  /** How a request ended: a status code and latency, or a failure class and what was seen. */
  record Outcome(int status, long latencyNanos, Failure failure, String detail) {
    static Outcome response(int status, long latencyNanos) {
      return new Outcome(status, latencyNanos, null, null);
    }

    static Outcome failed(Failure failure, String detail) {
      return new Outcome(0, 0, failure, detail);
    }
  }

  // A response head larger than this is not something an HTTP server in front of an app sends.
  static final int MAX_HEAD = 64 * 1024;

  private final Vertx vertx;
  private final NetClient client;
  private final SocketAddress address;
  private final Buffer request;
  private final long timeoutNanos;
  private final Consumer<Outcome> done;

  private long start;
  private NetSocket socket;
  private long timer = -1;
  private boolean finished;
  private Buffer head = Buffer.buffer();
  private int scanned;
  private boolean headDone;
  private int status;
  private long contentLength = -1;
  private long bodyRead;
  private Throwable error;

  OneShot(Vertx vertx, NetClient client, SocketAddress address, Buffer request, long timeoutNanos,
      Consumer<Outcome> done) {
    this.vertx = vertx;
    this.client = client;
    this.address = address;
    this.request = request;
    this.timeoutNanos = timeoutNanos;
    this.done = done;
  }

  void start() {
    start = System.nanoTime();
    client.connect(address).onComplete(ar -> {
      try {
        if (ar.succeeded()) {
          connected(ar.result());
        } else {
          finish(Outcome.failed(ConnectErrors.classify(ar.cause()), ConnectErrors.describe(ar.cause())));
        }
      } catch (RuntimeException | LinkageError e) {
        // Anything thrown here would be lost in Vert.x's logging and leave the spike waiting forever.
        finish(Outcome.failed(Failure.OTHER, e.toString()));
      }
    });
  }

  private void connected(NetSocket s) {
    socket = s;
    long left = timeoutNanos - (System.nanoTime() - start);
    if (left <= 0) {
      timedOut();
      return;
    }
    timer = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)), id -> {
      timer = -1;
      timedOut();
    });
    s.handler(this::onData);
    s.exceptionHandler(e -> error = e);
    s.closeHandler(v -> onClose());
    s.write(request).onFailure(e -> {
      error = e;
      s.close();
    });
  }

  private void onData(Buffer b) {
    if (finished) {
      return;
    }
    if (headDone) {
      bodyRead += b.length();
    } else {
      head.appendBuffer(b);
      if (!readHead()) {
        return;
      }
    }
    if (contentLength >= 0 && bodyRead >= contentLength) {
      succeed();
    }
  }

  /** Parses the head once it is complete; false while more bytes are needed or when the request has failed. */
  private boolean readHead() {
    while (true) {
      int end = indexOfBlankLine(head, scanned);
      if (end < 0) {
        scanned = Math.max(0, head.length() - 3);
        if (head.length() > MAX_HEAD) {
          fail(Failure.BAD_RESPONSE, "response head longer than " + MAX_HEAD + " bytes");
        }
        return false;
      }
      String text = head.getString(0, end, StandardCharsets.ISO_8859_1.name());
      int lineEnd = text.indexOf("\r\n");
      String statusLine = lineEnd < 0 ? text : text.substring(0, lineEnd);
      int code = parseStatus(statusLine);
      if (code < 0) {
        fail(Failure.BAD_RESPONSE, "status line \"" + abbreviate(statusLine) + "\"");
        return false;
      }
      if (code < 200 && code != 101) {
        // An interim response (100 Continue, 103 Early Hints): the final one follows on the same connection.
        head = head.getBuffer(end + 4, head.length());
        scanned = 0;
        continue;
      }
      status = code;
      contentLength = parseContentLength(text);
      headDone = true;
      bodyRead = head.length() - (end + 4);
      head = null;
      return true;
    }
  }

  private void onClose() {
    if (finished) {
      return;
    }
    String detail = error != null ? ConnectErrors.describe(error) : "closed by the server";
    if (!headDone) {
      fail(hasStatusLine() ? Failure.INCOMPLETE : Failure.CLOSED_BEFORE_STATUS, detail);
    } else if (contentLength >= 0 || error != null) {
      fail(Failure.INCOMPLETE, contentLength >= 0
          ? detail + " after " + bodyRead + " of " + contentLength + " body bytes" : detail);
    } else {
      succeed();
    }
  }

  private void timedOut() {
    if (!finished) {
      fail(socket == null ? Failure.CONNECT_TIMEOUT : Failure.TIMEOUT,
          "after " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
    }
  }

  private void succeed() {
    finish(Outcome.response(status, System.nanoTime() - start));
  }

  private void fail(Failure failure, String detail) {
    finish(Outcome.failed(failure, detail));
  }

  private void finish(Outcome outcome) {
    if (finished) {
      return;
    }
    finished = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    if (socket != null) {
      socket.close();
    }
    done.accept(outcome);
  }

  private boolean hasStatusLine() {
    String s = head.toString(StandardCharsets.ISO_8859_1);
    int lineEnd = s.indexOf("\r\n");
    return lineEnd >= 0 && parseStatus(s.substring(0, lineEnd)) >= 0;
  }

  /** The status code of {@code HTTP/1.x NNN reason}, or -1 when the line is not a status line. */
  static int parseStatus(String line) {
    if (line.length() < 12 || !line.startsWith("HTTP/1.") || line.charAt(8) != ' '
        || (line.length() > 12 && line.charAt(12) != ' ')) {
      return -1;
    }
    int code = 0;
    for (int i = 9; i < 12; i++) {
      char c = line.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      code = code * 10 + (c - '0');
    }
    return code >= 100 ? code : -1;
  }

  /** The body length the head announces, or -1 when the body is chunked or ends with the connection. */
  static long parseContentLength(String head) {
    long length = -1;
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Transfer-Encoding")) {
        return -1;
      }
      if (name.equalsIgnoreCase("Content-Length")) {
        try {
          length = Long.parseLong(value);
        } catch (NumberFormatException e) {
          // Unreadable: fall back to reading until the server closes, as a browser would.
          length = -1;
        }
      }
    }
    return length;
  }

  private static int indexOfBlankLine(Buffer b, int from) {
    for (int i = from; i + 3 < b.length(); i++) {
      if (b.getByte(i) == '\r' && b.getByte(i + 1) == '\n' && b.getByte(i + 2) == '\r' && b.getByte(i + 3) == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
