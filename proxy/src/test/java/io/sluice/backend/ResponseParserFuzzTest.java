package io.sluice.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.testing.Fuzz;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Properties of the response parser on generated input: well-formed responses are read exactly; mutated and random
 * bytes, cut into pieces anywhere, end in a response or a {@link MalformedResponseException}, never in another
 * exception, never in a loop; no head longer than the limit is ever accepted; and nothing the parser hands on (status
 * line, header names and values) could split the response Sluice writes to its client.
 */
class ResponseParserFuzzTest {

  private static final int[] LIMITS = {64, 256, 1024, ResponseParser.MAX_HEAD_BYTES};

  /** One response as generated, with what the parser should make of it. */
  private record Generated(byte[] bytes, String method, int status, byte[] body, int maxHeadBytes, long cutSeed) {
  }

  @Test
  void wellFormedResponsesAreReadExactlyHoweverTheyAreCut() {
    Fuzz.forAll(2000, r -> generate(r, ResponseParser.MAX_HEAD_BYTES), g -> Fuzz.escape(g.bytes()), g -> {
      Recorder seen = new Recorder();
      Throwable t = feed(g, seen, cuts(new Random(g.cutSeed()), g.bytes().length));
      if (t != null) {
        throw new AssertionError("a well-formed response was refused: " + t.getMessage(), t);
      }
      assertEquals(1, seen.heads);
      assertEquals(1, seen.ends);
      assertEquals(g.status(), seen.status);
      assertArrayEquals(g.body(), seen.body.toByteArray());
    });
  }

  @Test
  void mutatedResponsesEndInAResponseOrAMalformedResponseException() {
    Fuzz.forAll(4000, r -> mutate(r, generate(r, LIMITS[r.nextInt(LIMITS.length)])), g -> Fuzz.escape(g.bytes()),
        g -> {
          Recorder seen = new Recorder();
          Throwable t = feed(g, seen, cuts(new Random(g.cutSeed()), g.bytes().length));
          expectedOutcome(t, seen);
        });
  }

  @Test
  void randomBytesEndInAResponseOrAMalformedResponseException() {
    Fuzz.forAll(3000, ResponseParserFuzzTest::noise, g -> Fuzz.escape(g.bytes()), g -> {
      Recorder seen = new Recorder();
      Throwable t = feed(g, seen, cuts(new Random(g.cutSeed()), g.bytes().length));
      expectedOutcome(t, seen);
    });
  }

  @Test
  void noHeadOverTheLimitIsEverAccepted() {
    // One byte at a time: the byte on which the head ends is then exactly the head's length.
    Fuzz.forAll(600, r -> r.nextBoolean() ? mutate(r, generate(r, LIMITS[r.nextInt(3)])) : endless(r),
        g -> Fuzz.escape(g.bytes()), g -> {
          Recorder seen = new Recorder();
          int[] oneByOne = new int[g.bytes().length];
          Arrays.setAll(oneByOne, i -> i + 1);
          Throwable t = feed(g, seen, oneByOne);
          expectedOutcome(t, seen);
          if (seen.heads > 0) {
            assertTrue(seen.headEndedAt <= g.maxHeadBytes(), "a head of " + seen.headEndedAt
                + " bytes was accepted, over the limit of " + g.maxHeadBytes());
          }
          if (seen.heads == 0 && g.bytes().length > g.maxHeadBytes() + 1) {
            assertTrue(t instanceof MalformedResponseException, "no head, no failure after " + g.bytes().length
                + " bytes with a limit of " + g.maxHeadBytes());
            assertTrue(seen.fed <= g.maxHeadBytes() + 1, "failed only after " + seen.fed + " bytes");
          }
        });
  }

  private static void expectedOutcome(Throwable t, Recorder seen) {
    if (t != null && !(t instanceof MalformedResponseException)) {
      throw new AssertionError("threw " + t, t);
    }
    assertTrue(seen.ends <= seen.heads && seen.heads <= 1, seen.heads + " heads, " + seen.ends + " ends");
  }

  /**
   * Feeds {@code g} cut at {@code cuts} (increasing end offsets), then ends the input; returns what was thrown, or
   * {@code null}. Stops at the first exception, as a connection would be closed.
   */
  private static Throwable feed(Generated g, Recorder seen, int[] cuts) {
    ResponseParser parser = new ResponseParser(seen, g.maxHeadBytes());
    parser.expect(g.method());
    int from = 0;
    try {
      for (int cut : cuts) {
        if (cut > from) {
          seen.fed = cut;
          parser.feed(Buffer.buffer(Arrays.copyOfRange(g.bytes(), from, cut)));
          from = cut;
        }
      }
      parser.endOfInput();
      return null;
    } catch (Throwable t) {
      return t;
    }
  }

  /** Random end offsets for pieces of 1 to 40 bytes, the last one the end. */
  private static int[] cuts(Random r, int length) {
    int[] cuts = new int[length + 1];
    int n = 0;
    for (int at = 0; at < length; ) {
      at = Math.min(length, at + 1 + r.nextInt(r.nextBoolean() ? 3 : 40));
      cuts[n++] = at;
    }
    return Arrays.copyOf(cuts, n);
  }

  // ---- generators

  private static Generated generate(Random r, int maxHeadBytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String method = r.nextInt(10) == 0 ? "HEAD" : "GET";
    if (r.nextInt(5) == 0) {
      ascii(out, "HTTP/1.1 " + Fuzz.oneOf(r, "100 Continue", "103 Early Hints\r\nLink: </a>", "102") + "\r\n\r\n");
    }
    int minor = r.nextInt(4) == 0 ? 0 : 1;
    int status = r.nextInt(3) == 0 ? 200 + r.nextInt(400) : Fuzz.oneOf(r, 200, 204, 304, 404, 500);
    String reason = r.nextInt(5) == 0 ? "" : text(r, 20, 0x20, 0x7e);
    ascii(out, "HTTP/1." + minor + " " + status + (reason.isEmpty() && r.nextBoolean() ? "" : " " + reason) + "\r\n");
    for (int i = r.nextInt(6); i > 0; i--) {
      ascii(out, "X-" + text(r, 8, 'a', 'z') + ":" + (r.nextBoolean() ? " " : "") + text(r, 30, 0x21, 0x7e) + "\r\n");
    }
    byte[] body = new byte[r.nextInt(4) == 0 ? 0 : r.nextInt(300)];
    r.nextBytes(body);
    boolean bodiless = method.equals("HEAD") || status == 204 || status == 304;
    int framing = minor == 0 ? r.nextInt(2) : r.nextInt(3);
    if (framing == 0) {
      ascii(out, "Content-Length: " + body.length + "\r\n\r\n");
      out.writeBytes(bodiless ? new byte[0] : body);
    } else if (framing == 2 && !bodiless) {
      ascii(out, "Transfer-Encoding: " + Fuzz.oneOf(r, "chunked", "gzip, chunked", "CHUNKED") + "\r\n\r\n");
      for (int at = 0; at < body.length; ) {
        int n = Math.min(body.length - at, 1 + r.nextInt(100));
        String size = Integer.toHexString(n);
        ascii(out, (r.nextBoolean() ? size.toUpperCase() : size) + (r.nextInt(4) == 0 ? ";ext=1" : "") + "\r\n");
        out.write(body, at, n);
        ascii(out, "\r\n");
        at += n;
      }
      ascii(out, "0\r\n" + (r.nextInt(4) == 0 ? "X-Trailer: t\r\n" : "") + "\r\n");
    } else if (bodiless) {
      ascii(out, "\r\n");
    } else {
      // Delimited by the backend closing the connection.
      ascii(out, "Connection: close\r\n\r\n");
      out.writeBytes(body);
    }
    return new Generated(out.toByteArray(), method, status, bodiless ? new byte[0] : body, maxHeadBytes, r.nextLong());
  }

  private static Generated mutate(Random r, Generated g) {
    byte[] b = g.bytes();
    for (int m = 1 + r.nextInt(4); m > 0; m--) {
      int at = b.length == 0 ? 0 : r.nextInt(b.length);
      switch (r.nextInt(6)) {
        case 0 -> {
          if (b.length > 0) {
            b[at] = (byte) r.nextInt(256);
          }
        }
        case 1 -> b = insert(b, at, new byte[] {Fuzz.oneOf(r, (byte) '\r', (byte) '\n', (byte) 0, (byte) ':',
            (byte) ' ', (byte) '\t', (byte) 0xff, (byte) 'f', (byte) '9', (byte) ';', (byte) ',')});
        case 2 -> {
          int n = Math.min(b.length - at, r.nextInt(8));
          byte[] shorter = new byte[b.length - n];
          System.arraycopy(b, 0, shorter, 0, at);
          System.arraycopy(b, at + n, shorter, at, b.length - at - n);
          b = shorter;
        }
        case 3 -> b = insert(b, at, Arrays.copyOfRange(b, at, Math.min(b.length, at + r.nextInt(30))));
        case 4 -> b = Arrays.copyOf(b, at);
        default -> b = insert(b, at, Fuzz.oneOf(r, "\r\nContent-Length: 7", "\r\nTransfer-Encoding: chunked",
            "\r\nContent-Length: 99999999999999999999", "\r\nConnection: close", "ffffffffffffffff\r\n",
            "\r\n\r\n", "HTTP/1.1 101 Switching\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      }
    }
    return new Generated(b, g.method(), g.status(), g.body(), g.maxHeadBytes(), g.cutSeed());
  }

  /** Random bytes, often after the start of a status line so that the parser gets past its first check. */
  private static Generated noise(Random r) {
    byte[] random = new byte[r.nextInt(600)];
    r.nextBytes(random);
    String prefix = Fuzz.oneOf(r, "", "HTTP/1.", "HTTP/1.1 200 OK\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    byte[] b = insert(random, 0, prefix.getBytes(StandardCharsets.ISO_8859_1));
    return new Generated(b, Fuzz.oneOf(r, "GET", "HEAD"), 0, new byte[0], LIMITS[r.nextInt(LIMITS.length)],
        r.nextLong());
  }

  /** A head that never ends: a status line and header lines with no empty line, well over the limit. */
  private static Generated endless(Random r) {
    int limit = LIMITS[r.nextInt(3)];
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ascii(out, "HTTP/1.1 200 OK\r\n");
    while (out.size() < 3 * limit) {
      ascii(out, "X-" + text(r, 6, 'a', 'z') + ": " + text(r, 40, 0x20, 0x7e) + "\r\n");
    }
    return new Generated(out.toByteArray(), "GET", 200, new byte[0], limit, 0);
  }

  private static byte[] insert(byte[] b, int at, byte[] what) {
    byte[] longer = new byte[b.length + what.length];
    System.arraycopy(b, 0, longer, 0, at);
    System.arraycopy(what, 0, longer, at, what.length);
    System.arraycopy(b, at, longer, at + what.length, b.length - at);
    return longer;
  }

  private static String text(Random r, int max, int from, int to) {
    char[] c = new char[r.nextInt(max + 1)];
    for (int i = 0; i < c.length; i++) {
      c[i] = (char) (from + r.nextInt(to - from + 1));
    }
    return new String(c).strip();
  }

  private static void ascii(ByteArrayOutputStream out, String s) {
    out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** What the parser reported, checked as it comes. */
  private static final class Recorder implements ResponseDecoder.Listener {
    int heads;
    int ends;
    int status;
    /** Bytes fed when the head was reported: its length when fed one byte at a time. */
    int headEndedAt;
    int fed;
    final ByteArrayOutputStream body = new ByteArrayOutputStream();

    @Override
    public void onHead(ResponseHead head) {
      heads++;
      headEndedAt = fed;
      status = head.status();
      assertTrue(head.status() >= 200 && head.status() <= 999, "status " + head.status());
      assertSafe("reason", head.reason());
      for (Map.Entry<String, String> h : head.headers()) {
        String name = h.getKey();
        assertTrue(!name.isEmpty() && name.chars().allMatch(HttpChars::isToken),
            () -> "header name " + Fuzz.escape(name));
        assertSafe("header " + name, h.getValue());
      }
    }

    /** What goes into the client's response head: no control character but HTAB, which could end a line early. */
    private static void assertSafe(String what, String value) {
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c < 0x20 && c != '\t' || c == 0x7f) {
          fail(what + ": " + Fuzz.escape(value));
        }
      }
    }

    @Override
    public void onBody(Buffer data) {
      assertTrue(data.length() > 0, "an empty body piece");
      assertEquals(ends + 1, heads, "a body piece outside a response");
      body.writeBytes(data.getBytes());
    }

    @Override
    public void onEnd() {
      ends++;
      assertEquals(heads, ends, "an end without a head");
    }
  }
}
