package io.sluice.backend.uwsgi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.backend.RequestHead;
import io.sluice.testing.Fuzz;
import io.sluice.testing.GeneratedRequests;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Properties of the uwsgi request encoder on generated heads. A uwsgi packet is framed by lengths, so no byte inside a
 * value can forge a variable; what is dangerous is a packet uWSGI misreads or drops (sizes that do not add up, more
 * bytes or variables than it takes), a variable a client names itself ({@code SCRIPT_NAME}, {@code UWSGI_SCHEME},
 * {@code HTTPS}: only {@code HTTP_*} may come from a header), and a value the app would act on wrongly: CR, LF or NUL
 * in a header, the method or the target (which the app may write into a header of its own, or hand to C code), NUL in
 * {@code PATH_INFO}. CR and LF in {@code PATH_INFO}, from {@code %0D%0A}, are the app's to judge, as with gunicorn and
 * nginx.
 */
class UwsgiRequestEncoderFuzzTest {

  private static final List<String> FIXED = List.of("QUERY_STRING", "REQUEST_METHOD", "CONTENT_TYPE",
      "CONTENT_LENGTH", "REQUEST_URI", "PATH_INFO", "SERVER_PROTOCOL", "REQUEST_SCHEME", "REMOTE_ADDR", "REMOTE_PORT",
      "SERVER_ADDR", "SERVER_PORT", "SERVER_NAME");
  private static final Set<String> NO_LINE_BREAK_OR_NUL = Set.of("QUERY_STRING", "REQUEST_METHOD", "CONTENT_TYPE",
      "REQUEST_URI", "SERVER_NAME");

  private static final Pattern HEADER_KEY = Pattern.compile("HTTP_[A-Z0-9_]+");
  private static final Pattern FORWARDED_NAME = Pattern.compile("[A-Za-z0-9-]+");

  private record Case(RequestHead head, int bufferSize, int maxVars) {
  }

  private static Case generate(Random r) {
    return new Case(GeneratedRequests.head(r), Fuzz.oneOf(r, 4096, 300, 65535, 100_000), Fuzz.oneOf(r, 64, 10, 8));
  }

  @Test
  void aHeadIsEncodedAsAPacketUwsgiReadsWhole() {
    Fuzz.forAll(4000, UwsgiRequestEncoderFuzzTest::generate,
        c -> c.bufferSize() + "/" + c.maxVars() + " " + GeneratedRequests.show(c.head()), c -> {
          UwsgiRequestEncoder encoder = new UwsgiRequestEncoder(c.bufferSize(), c.maxVars());
          RequestHead head = c.head();
          byte[] packet;
          try {
            packet = encoder.encode(head).getBytes();
          } catch (IllegalArgumentException e) {
            assertTrue(unsendable(head), "refused a head that can be sent: " + e.getMessage());
            return;
          } catch (VarsTooLargeException e) {
            assertTrue(!unsendable(head), "called too large what cannot be sent at all: " + e.getMessage());
            assertTrue(e.size() > e.limit(), e.getMessage());
            return;
          }
          assertTrue(!unsendable(head), () -> "sent a head that cannot be sent:\n" + Fuzz.escape(packet));
          List<Map.Entry<String, byte[]>> vars = read(packet, encoder.limit());
          assertTrue(vars.size() <= 2 * c.maxVars(), vars.size() + " variables");
          assertVariables(head, vars);
        });
  }

  /** The packet's header and its variables, which must take exactly the size it announces. */
  private static List<Map.Entry<String, byte[]>> read(byte[] p, int limit) {
    assertTrue(p.length >= 4 && p[0] == 0 && p[3] == 0, "packet header");
    int size = (p[1] & 0xff) | (p[2] & 0xff) << 8;
    assertEquals(p.length - 4, size, "the size field");
    assertTrue(size <= limit, size + " bytes over " + limit);
    List<Map.Entry<String, byte[]>> vars = new ArrayList<>();
    int at = 4;
    while (at < p.length) {
      int keyLength = u16(p, at);
      assertTrue(keyLength > 0, "an empty key");
      String key = new String(p, at + 2, keyLength, StandardCharsets.ISO_8859_1);
      at += 2 + keyLength;
      int valueLength = u16(p, at);
      assertTrue(at + 2 + valueLength <= p.length, "a value past the end");
      vars.add(Map.entry(key, Arrays.copyOfRange(p, at + 2, at + 2 + valueLength)));
      at += 2 + valueLength;
    }
    return vars;
  }

  private static int u16(byte[] p, int at) {
    assertTrue(at + 2 <= p.length, "a length past the end");
    return (p[at] & 0xff) | (p[at + 1] & 0xff) << 8;
  }

  private static void assertVariables(RequestHead head, List<Map.Entry<String, byte[]>> vars) {
    List<String> fixed = new ArrayList<>(FIXED);
    if (head.scheme().equals("https")) {
      fixed.add(FIXED.indexOf("REMOTE_ADDR"), "HTTPS");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < vars.size(); i++) {
      String key = vars.get(i).getKey();
      byte[] value = vars.get(i).getValue();
      assertTrue(seen.add(key), "twice: " + key);
      if (i < fixed.size()) {
        assertEquals(fixed.get(i), key);
      } else {
        assertTrue(HEADER_KEY.matcher(key).matches(), () -> "a variable named by a client: " + Fuzz.escape(key));
      }
      boolean header = key.startsWith("HTTP_");
      boolean noLineBreak = header || NO_LINE_BREAK_OR_NUL.contains(key);
      for (byte b : value) {
        if (b == 0 || noLineBreak && (b == '\r' || b == '\n')) {
          throw new AssertionError(key + " holds NUL or a line break: " + Fuzz.escape(value));
        }
      }
    }
    // The header variables, built independently: one per name, joined in order, Cookie with "; ".
    Map<String, ByteArrayOutputStream> expected = new LinkedHashMap<>();
    for (Map.Entry<String, String> h : head.headers()) {
      String name = h.getKey();
      if (!FORWARDED_NAME.matcher(name).matches() || name.equalsIgnoreCase("Content-Type")
          || name.equalsIgnoreCase("Content-Length") || name.equalsIgnoreCase("Transfer-Encoding")
          || name.equalsIgnoreCase("Proxy")) {
        continue;
      }
      String key = "HTTP_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
      ByteArrayOutputStream v = expected.get(key);
      if (v == null) {
        expected.put(key, v = new ByteArrayOutputStream());
      } else {
        write(v, name.equalsIgnoreCase("Cookie") ? "; " : ", ");
      }
      write(v, h.getValue());
    }
    List<Map.Entry<String, byte[]>> headerVars = vars.subList(fixed.size(), vars.size());
    assertEquals(List.copyOf(expected.keySet()), headerVars.stream().map(Map.Entry::getKey).toList());
    for (Map.Entry<String, byte[]> v : headerVars) {
      assertArrayEquals(expected.get(v.getKey()).toByteArray(), v.getValue(), v.getKey());
    }
  }

  private static void write(ByteArrayOutputStream out, String s) {
    boolean latin1 = s.chars().allMatch(c -> c <= 0xff);
    out.writeBytes(s.getBytes(latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8));
  }

  /** What the encoder must refuse: see the class's comment. */
  private static boolean unsendable(RequestHead head) {
    if (!GeneratedRequests.isToken(head.method()) || !GeneratedRequests.safeTarget(head.uri())
        || decodesToNul(head.path())) {
      return true;
    }
    String contentType = head.headers().get("Content-Type");
    if (contentType != null && !GeneratedRequests.safeValue(contentType)) {
      return true;
    }
    for (Map.Entry<String, String> h : head.headers()) {
      String name = h.getKey();
      boolean forwarded = FORWARDED_NAME.matcher(name).matches() && !name.equalsIgnoreCase("Content-Type")
          && !name.equalsIgnoreCase("Content-Length") && !name.equalsIgnoreCase("Transfer-Encoding")
          && !name.equalsIgnoreCase("Proxy");
      if (forwarded && !GeneratedRequests.safeValue(h.getValue())) {
        return true;
      }
    }
    return false;
  }

  /** Whether percent-decoding {@code path} as RFC 3986 does gives a NUL. */
  private static boolean decodesToNul(String path) {
    for (int i = 0; i + 2 < path.length(); i++) {
      if (path.charAt(i) == '%' && isHex(path.charAt(i + 1)) && isHex(path.charAt(i + 2))) {
        if (path.charAt(i + 1) == '0' && path.charAt(i + 2) == '0') {
          return true;
        }
        i += 2;
      }
    }
    return false;
  }

  private static boolean isHex(char c) {
    return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
  }
}
