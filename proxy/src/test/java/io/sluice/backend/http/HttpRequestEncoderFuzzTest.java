package io.sluice.backend.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.backend.RequestHead;
import io.sluice.testing.Fuzz;
import io.sluice.testing.GeneratedRequests;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Properties of the HTTP request encoder on generated heads. For HTTP/1.1 what is dangerous is whatever would end a
 * line or the head early, so that a client could add a header or a whole request the backend would believe came from
 * Sluice: a CR or LF anywhere but at the end of a line, a space or control character in the request line, a NUL
 * (which some servers read as the end of a line). So: every head is refused with {@link IllegalArgumentException} or
 * encoded as exactly the request line, the headers and the empty line, in that order, with nothing else, and refused
 * exactly when it holds something that cannot be sent as it is.
 */
class HttpRequestEncoderFuzzTest {

  @Test
  void aHeadIsEncodedExactlyOrRefusedAndNothingElse() {
    Fuzz.forAll(4000, GeneratedRequests::head, GeneratedRequests::show, head -> {
      byte[] out;
      try {
        out = HttpRequestEncoder.encode(head).getBytes();
      } catch (IllegalArgumentException e) {
        assertTrue(unsendable(head), "refused a head that can be sent as it is: " + e.getMessage());
        return;
      }
      assertTrue(!unsendable(head), () -> "sent a head that cannot be sent as it is:\n" + Fuzz.escape(out));
      assertOneHead(out);
      assertArrayEquals(expected(head), out, () -> Fuzz.escape(out));
    });
  }

  /** No NUL; CR only before LF and LF only after CR; the first empty line is the last line. */
  private static void assertOneHead(byte[] out) {
    for (int i = 0; i < out.length; i++) {
      byte b = out[i];
      boolean bareCr = b == '\r' && (i + 1 == out.length || out[i + 1] != '\n');
      boolean bareLf = b == '\n' && (i == 0 || out[i - 1] != '\r');
      if (b == 0 || bareCr || bareLf) {
        throw new AssertionError("NUL, or CR or LF outside a CRLF, at " + i);
      }
    }
    String s = new String(out, StandardCharsets.ISO_8859_1);
    assertEquals(out.length - 4, s.indexOf("\r\n\r\n"), "the head ends at its first empty line");
    String requestLine = s.substring(0, s.indexOf("\r\n"));
    assertEquals(2, requestLine.chars().filter(c -> c == ' ').count(),
        () -> "request line " + Fuzz.escape(requestLine));
    assertTrue(requestLine.endsWith(" HTTP/1.1"));
  }

  /** What the encoder must write, built independently: request line, Host if none, the headers, the framing. */
  private static byte[] expected(RequestHead head) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(out, head.method() + " ");
    write(out, head.uri());
    write(out, " HTTP/1.1\r\n");
    if (!head.headers().contains("Host")) {
      write(out, "Host: \r\n");
    }
    for (Map.Entry<String, String> h : forwarded(head)) {
      write(out, h.getKey() + ": ");
      write(out, h.getValue());
      write(out, "\r\n");
    }
    if (head.contentLength() >= 0) {
      write(out, "Content-Length: " + head.contentLength() + "\r\n");
    }
    write(out, "\r\n");
    return out.toByteArray();
  }

  /** A string as the encoder writes one: its characters as bytes when all are below U+0100, else as UTF-8. */
  private static void write(ByteArrayOutputStream out, String s) {
    boolean latin1 = s.chars().allMatch(c -> c <= 0xff);
    out.writeBytes(s.getBytes(latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8));
  }

  private static List<Map.Entry<String, String>> forwarded(RequestHead head) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    for (Map.Entry<String, String> h : head.headers()) {
      if (!h.getKey().equalsIgnoreCase("Content-Length") && !h.getKey().equalsIgnoreCase("Transfer-Encoding")) {
        out.add(h);
      }
    }
    return out;
  }

  private static boolean unsendable(RequestHead head) {
    if (!GeneratedRequests.isToken(head.method()) || !GeneratedRequests.safeTarget(head.uri())) {
      return true;
    }
    for (Map.Entry<String, String> h : forwarded(head)) {
      if (!GeneratedRequests.isToken(h.getKey()) || !GeneratedRequests.safeValue(h.getValue())) {
        return true;
      }
    }
    return false;
  }
}
