package io.sluice.backend.uwsgi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.backend.RequestHead;
import io.vertx.core.MultiMap;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class UwsgiRequestEncoderTest {

  private static final RequestHead.Peer TCP = new RequestHead.Peer("10.0.0.1", 5555, "127.0.0.1", 8080);
  private static final RequestHead.Peer UNIX = new RequestHead.Peer("", 0, "", 0);

  private static final UwsgiRequestEncoder ENCODER = new UwsgiRequestEncoder(4096);

  /** One variable as read back from a packet: the value's raw bytes, shown as ISO-8859-1. */
  private record Var(String key, String value) {
    @Override
    public String toString() {
      return key + "=" + value;
    }
  }

  /** Reads a packet the way uWSGI does: checks the header, then walks the length-prefixed keys and values. */
  private static List<Var> read(byte[] packet) {
    assertTrue(packet.length >= 4, "shorter than the header");
    assertEquals(0, packet[0], "modifier1");
    assertEquals(0, packet[3], "modifier2");
    int size = (packet[1] & 0xff) | (packet[2] & 0xff) << 8;
    assertEquals(packet.length - 4, size, "size field");
    List<Var> vars = new ArrayList<>();
    int at = 4;
    while (at < packet.length) {
      int keyLength = (packet[at] & 0xff) | (packet[at + 1] & 0xff) << 8;
      assertTrue(keyLength > 0, "empty key at " + at);
      String key = new String(packet, at + 2, keyLength, StandardCharsets.ISO_8859_1);
      at += 2 + keyLength;
      int valueLength = (packet[at] & 0xff) | (packet[at + 1] & 0xff) << 8;
      assertTrue(at + 2 + valueLength <= packet.length, "value of " + key + " runs past the end");
      vars.add(new Var(key, new String(packet, at + 2, valueLength, StandardCharsets.ISO_8859_1)));
      at += 2 + valueLength;
    }
    return vars;
  }

  private static String value(List<Var> vars, String key) {
    String found = null;
    for (Var v : vars) {
      if (v.key().equals(key)) {
        assertEquals(null, found, key + " sent twice");
        found = v.value();
      }
    }
    return found;
  }

  private static MultiMap headers(String... namesAndValues) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      headers.add(namesAndValues[i], namesAndValues[i + 1]);
    }
    return headers;
  }

  private static byte[] encode(UwsgiRequestEncoder encoder, RequestHead head) {
    try {
      return encoder.encode(head).getBytes();
    } catch (VarsTooLargeException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  private static List<Var> vars(RequestHead head) {
    return read(encode(ENCODER, head));
  }

  @Test
  void goldenPacket() {
    // Written out independently of the encoder: header 00 1001 00 (size 272), then each key and value.
    byte[] expected = HexFormat.of().parseHex(""
        + "001001000c0051554552595f535452494e470300613d310e0052455155455354"
        + "5f4d4554484f4403004745540c00434f4e54454e545f5459504500000e00434f"
        + "4e54454e545f4c454e47544800000b00524551554553545f55524905002f3f61"
        + "3d310900504154485f494e464f01002f0f005345525645525f50524f544f434f"
        + "4c0800485454502f312e310e00524551554553545f534348454d450400687474"
        + "700b0052454d4f54455f41444452080031302e302e302e310b0052454d4f5445"
        + "5f504f52540400353535350b005345525645525f4144445209003132372e302e"
        + "302e310b005345525645525f504f52540400383038300b005345525645525f4e"
        + "414d450100680900485454505f484f5354010068");
    RequestHead head = new RequestHead("GET", "/?a=1", "http", headers("Host", "h"), -1, TCP);
    assertArrayEquals(expected, encode(ENCODER, head));
  }

  @Test
  void everyVariableOfARichRequest() {
    RequestHead head = new RequestHead("POST", "/a%20b/%C3%A9+c?x=1&y=%20", "https",
        headers(
            "Host", "shop.example:8443",
            "Content-Type", "application/json",
            "Cookie", "a=1",
            "X-Multi", "1",
            "User-Agent", "t",
            "cookie", "b=2",
            "x-multi", "2",
            "X-Forwarded-For", "10.0.0.1"),
        42, TCP);
    byte[] packet = encode(ENCODER, head);

    // Built by hand from the same specification, independently of the encoder's code.
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.write(0);
    expected.write(0);
    expected.write(0);
    expected.write(0);
    kv(expected, "QUERY_STRING", "x=1&y=%20");
    kv(expected, "REQUEST_METHOD", "POST");
    kv(expected, "CONTENT_TYPE", "application/json");
    kv(expected, "CONTENT_LENGTH", "42");
    kv(expected, "REQUEST_URI", "/a%20b/%C3%A9+c?x=1&y=%20");
    kv(expected, "PATH_INFO", "/a b/\u00c3\u00a9+c");
    kv(expected, "SERVER_PROTOCOL", "HTTP/1.1");
    kv(expected, "REQUEST_SCHEME", "https");
    kv(expected, "HTTPS", "on");
    kv(expected, "REMOTE_ADDR", "10.0.0.1");
    kv(expected, "REMOTE_PORT", "5555");
    kv(expected, "SERVER_ADDR", "127.0.0.1");
    kv(expected, "SERVER_PORT", "8080");
    kv(expected, "SERVER_NAME", "shop.example");
    kv(expected, "HTTP_HOST", "shop.example:8443");
    kv(expected, "HTTP_COOKIE", "a=1; b=2");
    kv(expected, "HTTP_X_MULTI", "1, 2");
    kv(expected, "HTTP_USER_AGENT", "t");
    kv(expected, "HTTP_X_FORWARDED_FOR", "10.0.0.1");
    byte[] want = expected.toByteArray();
    int size = want.length - 4;
    want[1] = (byte) size;
    want[2] = (byte) (size >> 8);
    assertArrayEquals(want, packet, () -> read(packet).toString());
  }

  private static void kv(ByteArrayOutputStream out, String key, String value) {
    byte[] k = key.getBytes(StandardCharsets.ISO_8859_1);
    byte[] v = value.getBytes(StandardCharsets.ISO_8859_1);
    out.write(k.length & 0xff);
    out.write(k.length >> 8);
    out.writeBytes(k);
    out.write(v.length & 0xff);
    out.write(v.length >> 8);
    out.writeBytes(v);
  }

  @Test
  void pathInfoIsPercentDecodedToBytes() {
    List<Var> vars = vars(new RequestHead("GET", "/a%20b/%C3%A9", "http", headers("Host", "h"), -1, TCP));
    // The UTF-8 bytes of "é", as uWSGI hands them to a WSGI application (PEP 3333 decodes environ bytes as Latin-1).
    assertEquals("/a b/\u00c3\u00a9", value(vars, "PATH_INFO"));
    assertEquals("/a b/\u00e9", new String(value(vars, "PATH_INFO").getBytes(StandardCharsets.ISO_8859_1),
        StandardCharsets.UTF_8));
    assertEquals("/a%20b/%C3%A9", value(vars, "REQUEST_URI"));

    assertEquals("/a+b", pathInfo("/a+b?c+d"));
    assertEquals("/a/b", pathInfo("/a%2Fb"));
    assertEquals("/%zz/%4/%", pathInfo("/%zz/%4/%"));
    assertEquals("/%4", pathInfo("/%4"));
    assertEquals("/%", pathInfo("/%25"));
    assertEquals("/\u00ff\r\n", pathInfo("/%ff%0d%0A"), "as gunicorn and nginx decode them");
    assertEquals("/../x", pathInfo("/%2e%2e/x"));
    assertEquals("*", pathInfo("*"));
  }

  private static String pathInfo(String uri) {
    return value(vars(new RequestHead("GET", uri, "http", headers("Host", "h"), -1, TCP)), "PATH_INFO");
  }

  @Test
  void serverProtocolIsTheClients() {
    assertEquals("HTTP/1.1", value(vars(new RequestHead("GET", "/", "http", headers(), -1, TCP)), "SERVER_PROTOCOL"));
    assertEquals("HTTP/1.0",
        value(vars(new RequestHead("GET", "/", "http", headers(), -1, TCP, "HTTP/1.0")), "SERVER_PROTOCOL"));
  }

  @Test
  void queryString() {
    assertEquals("", value(vars(new RequestHead("GET", "/p", "http", headers(), -1, TCP)), "QUERY_STRING"));
    assertEquals("", value(vars(new RequestHead("GET", "/p?", "http", headers(), -1, TCP)), "QUERY_STRING"));
    assertEquals("a=%20+b?c", value(vars(new RequestHead("GET", "/p?a=%20+b?c", "http", headers(), -1, TCP)),
        "QUERY_STRING"));
  }

  @Test
  void bodylessRequestHasEmptyContentVariables() {
    List<Var> vars = vars(new RequestHead("GET", "/", "http", headers("Host", "h"), -1, TCP));
    assertEquals("", value(vars, "CONTENT_LENGTH"));
    assertEquals("", value(vars, "CONTENT_TYPE"));
    assertEquals(null, value(vars, "HTTPS"));
    assertEquals("http", value(vars, "REQUEST_SCHEME"));
    assertEquals(null, value(vars, "DOCUMENT_ROOT"));
    assertEquals("0", value(vars(new RequestHead("POST", "/", "http", headers(), 0, TCP)), "CONTENT_LENGTH"));
  }

  @Test
  void headersThatAreNotSentAsHttpVariables() {
    List<Var> vars = vars(new RequestHead("POST", "/", "http",
        headers(
            "Content-Type", "text/plain",
            "Content-Length", "999",
            "Transfer-Encoding", "chunked",
            "X_Forwarded_For", "6.6.6.6",
            "X-Forwarded-For", "10.0.0.1",
            "Proxy", "http://evil",
            "X.Dot", "1",
            "X-Kept", "yes"),
        5, TCP));
    assertEquals("text/plain", value(vars, "CONTENT_TYPE"));
    assertEquals("5", value(vars, "CONTENT_LENGTH"));
    assertEquals("10.0.0.1", value(vars, "HTTP_X_FORWARDED_FOR"));
    assertEquals("yes", value(vars, "HTTP_X_KEPT"));
    for (Var v : vars) {
      assertFalse(v.key().startsWith("HTTP_CONTENT") || v.key().equals("HTTP_TRANSFER_ENCODING")
          || v.key().equals("HTTP_PROXY") || v.key().startsWith("HTTP_X.") || v.value().equals("6.6.6.6"), v.toString());
    }
  }

  @Test
  void unixSocketListenerDefaults() {
    List<Var> vars = vars(new RequestHead("GET", "/", "http", headers("Host", "example.com:8000"), -1, UNIX));
    assertEquals("example.com", value(vars, "SERVER_NAME"));
    assertEquals("8000", value(vars, "SERVER_PORT"));
    assertEquals("", value(vars, "REMOTE_ADDR"));
    assertEquals("", value(vars, "REMOTE_PORT"));
    assertEquals("", value(vars, "SERVER_ADDR"));

    vars = vars(new RequestHead("GET", "/", "https", headers("Host", "example.com"), -1, UNIX));
    assertEquals("example.com", value(vars, "SERVER_NAME"));
    assertEquals("443", value(vars, "SERVER_PORT"));
    assertEquals("on", value(vars, "HTTPS"));

    vars = vars(new RequestHead("GET", "/", "http", headers(), -1, UNIX));
    assertEquals("localhost", value(vars, "SERVER_NAME"));
    assertEquals("80", value(vars, "SERVER_PORT"));

    vars = vars(new RequestHead("GET", "/", "http", headers("Host", "[::1]:9000"), -1, UNIX));
    assertEquals("[::1]", value(vars, "SERVER_NAME"));
    assertEquals("9000", value(vars, "SERVER_PORT"));

    vars = vars(new RequestHead("GET", "/", "http", headers("Host", "h:99999"), -1, UNIX));
    assertEquals("h", value(vars, "SERVER_NAME"));
    assertEquals("80", value(vars, "SERVER_PORT"));
  }

  @Test
  void tcpListenerNamesWithoutHost() {
    List<Var> vars = vars(new RequestHead("GET", "/", "http", headers(),
        -1, new RequestHead.Peer("::1", 40000, "::1", 8080)));
    assertEquals("[::1]", value(vars, "SERVER_NAME"));
    assertEquals("8080", value(vars, "SERVER_PORT"));
    assertEquals("::1", value(vars, "SERVER_ADDR"));
    // The listener's port, as CGI and nginx's $server_port say, not the one in Host.
    assertEquals("8080", value(vars(new RequestHead("GET", "/", "http", headers("Host", "h:1234"), -1, TCP)),
        "SERVER_PORT"));
  }

  @Test
  void stringsAreWrittenByteForByte() {
    byte[] packet = encode(ENCODER, new RequestHead("GET", "/", "http",
        headers("X-Latin", "caf\u00e9", "X-Euro", "\u20ac"), -1, TCP));
    assertEquals("caf\u00e9", value(read(packet), "HTTP_X_LATIN"));
    assertEquals("\u00e2\u0082\u00ac", value(read(packet), "HTTP_X_EURO"));
  }

  @Test
  void variablesUpToTheBufferSizeAreSent() throws VarsTooLargeException {
    UwsgiRequestEncoder encoder = new UwsgiRequestEncoder(512);
    int base = encode(encoder, withPadding(0)).length - 4;
    int fits = 512 - base;
    byte[] packet = encoder.encode(withPadding(fits)).getBytes();
    assertEquals(512, packet.length - 4);
    assertEquals(fits, value(read(packet), "HTTP_X_PAD").length());

    VarsTooLargeException e = assertThrows(VarsTooLargeException.class, () -> encoder.encode(withPadding(fits + 1)));
    assertEquals(513, e.size());
    assertEquals(512, e.limit());
    assertEquals("the request's uwsgi variables take 513 bytes, over the backend's buffer size of 512 bytes"
        + " (uWSGI would drop the request): raise uWSGI's --buffer-size and Sluice's bufferSize for this backend"
        + " to at least 513", e.getMessage());
  }

  @Test
  void variablesNeverExceedTheProtocolLimit() throws VarsTooLargeException {
    for (int bufferSize : new int[] {65535, 1 << 20}) {
      UwsgiRequestEncoder encoder = new UwsgiRequestEncoder(bufferSize);
      assertEquals(65535, encoder.limit());
      int base = encode(encoder, withPadding(0)).length - 4;
      byte[] packet = encoder.encode(withPadding(65535 - base)).getBytes();
      assertEquals((byte) 0xff, packet[1]);
      assertEquals((byte) 0xff, packet[2]);
      assertEquals(65535, packet.length - 4);
      read(packet);

      VarsTooLargeException e = assertThrows(VarsTooLargeException.class,
          () -> encoder.encode(withPadding(70000)));
      assertEquals(65535, e.limit());
      assertEquals(base + 70000, e.size());
      assertEquals("the request's uwsgi variables take " + (base + 70000) + " bytes, over the uwsgi protocol's limit"
          + " of 65535 bytes: its headers are too large to be sent to a uwsgi backend", e.getMessage());
    }
  }

  private static RequestHead withPadding(int length) {
    return new RequestHead("GET", "/", "http", headers("Host", "h", "X-Pad", "p".repeat(length)), -1, TCP);
  }

  @Test
  void constructorChecksTheBufferSize() {
    assertThrows(IllegalArgumentException.class, () -> new UwsgiRequestEncoder(0));
    assertEquals(4096, new UwsgiRequestEncoder(4096).limit());
  }

  @Test
  void atMostTwiceMaxVarsVariablesAreSent() throws VarsTooLargeException {
    UwsgiRequestEncoder encoder = new UwsgiRequestEncoder(65535, 64);
    // 13 fixed variables (no https), one per header name: 115 headers make 128, uWSGI's default ceiling.
    String[] pairs = new String[2 * 115];
    for (int i = 0; i < 115; i++) {
      pairs[2 * i] = "X-H" + i;
      pairs[2 * i + 1] = "v";
    }
    List<Var> vars = read(encoder.encode(new RequestHead("GET", "/", "http", headers(pairs), -1, TCP)).getBytes());
    assertEquals(128, vars.size());

    String[] more = java.util.Arrays.copyOf(pairs, pairs.length + 2);
    more[pairs.length] = "X-One-More";
    more[pairs.length + 1] = "v";
    VarsTooLargeException e = assertThrows(VarsTooLargeException.class,
        () -> encoder.encode(new RequestHead("GET", "/", "http", headers(more), -1, TCP)));
    assertEquals(129, e.size());
    assertEquals(128, e.limit());
    assertEquals("the request has 129 uwsgi variables, over the 128 the backend reads (uWSGI drops it: its --max-vars"
        + " is 64): send fewer headers, or raise uWSGI's --max-vars and Sluice's maxVars for this backend to at least"
        + " 65", e.getMessage());
    assertEquals(129, read(new UwsgiRequestEncoder(65535, 65).encode(
        new RequestHead("GET", "/", "http", headers(more), -1, TCP)).getBytes()).size());
  }

  @Test
  void repeatedNamesAreGroupedInTheOrderTheyFirstCame() {
    List<Var> vars = vars(new RequestHead("GET", "/", "http", headers("B", "1", "a", "2", "X-C", "3", "b", "4", "A",
        "5", "x-c", "6", "B", "7", "Cookie", "k=1", "D", "8", "cookie", "k=2"), -1, TCP));
    List<String> keys = vars.stream().map(Var::key).toList();
    assertEquals(List.of("HTTP_B", "HTTP_A", "HTTP_X_C", "HTTP_COOKIE", "HTTP_D"), keys.subList(13, keys.size()));
    assertEquals("1, 4, 7", value(vars, "HTTP_B"));
    assertEquals("2, 5", value(vars, "HTTP_A"));
    assertEquals("3, 6", value(vars, "HTTP_X_C"));
    assertEquals("k=1; k=2", value(vars, "HTTP_COOKIE"));
  }

  @Test
  void manyHeadersAreGroupedInLinearTimeNotQuadratic() {
    // 8,000 distinct names and 8,000 lines of one name: checking each name against those seen before costs 32 million
    // comparisons, sorting about 200,000. Both must finish far inside the time a human would notice.
    int n = 8000;
    String[] pairs = new String[4 * n];
    for (int i = 0; i < n; i++) {
      pairs[2 * i] = "X-" + Integer.toString(i * 7919 % n, 36) + "-n";
      pairs[2 * i + 1] = "v";
      pairs[2 * (n + i)] = "X-Same";
      pairs[2 * (n + i) + 1] = "w";
    }
    UwsgiRequestEncoder big = new UwsgiRequestEncoder(65535, 32768);
    RequestHead head = new RequestHead("GET", "/", "http", headers(pairs), -1, TCP);
    for (int warm = 0; warm < 3; warm++) {
      encodeTooLarge(big, head);
    }
    // The fastest of five: a busy machine or a collection pauses one run, not all of them.
    long ms = Long.MAX_VALUE;
    for (int run = 0; run < 5; run++) {
      long start = System.nanoTime();
      encodeTooLarge(big, head);
      ms = Math.min(ms, (System.nanoTime() - start) / 1_000_000);
    }
    assertTrue(ms < 200, "encoding 16,000 header lines took " + ms + " ms");
  }

  private static void encodeTooLarge(UwsgiRequestEncoder encoder, RequestHead head) {
    VarsTooLargeException e = assertThrows(VarsTooLargeException.class, () -> encoder.encode(head));
    assertTrue(e.getMessage().contains("65535"), e.getMessage());
  }

  @Test
  void whatCouldSmuggleSomethingPastAnAppIsRefusedAsForHttp() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ENCODER.encode(new RequestHead("GET", "/", "http", headers("X-A", "1\r\nX-B: 2"), -1, TCP)));
    assertEquals("header X-A: value contains U+000D (expected: no CR, LF or NUL)", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ENCODER.encode(new RequestHead("GET", "/", "http", headers("X-A", "a\u0000b"), -1, TCP)));
    assertThrows(IllegalArgumentException.class,
        () -> ENCODER.encode(new RequestHead("GET", "/", "http", headers("Content-Type", "a\nb"), -1, TCP)));
    assertThrows(IllegalArgumentException.class,
        () -> ENCODER.encode(new RequestHead("GET", "/", "http", headers("Host", "h\u0000.example"), -1, TCP)));
    e = assertThrows(IllegalArgumentException.class,
        () -> ENCODER.encode(new RequestHead("GET", "/a%00b", "http", headers(), -1, TCP)));
    assertEquals("path: contains %00 (expected: no NUL)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ENCODER.encode(new RequestHead("GET", "/a b", "http", headers(), -1, TCP)));
    assertEquals("uri: contains a space (expected: no spaces or control characters)", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ENCODER.encode(new RequestHead("GET", "/a?\u0001", "http", headers(), -1, TCP)));
    assertThrows(IllegalArgumentException.class,
        () -> ENCODER.encode(new RequestHead("G T", "/", "http", headers(), -1, TCP)));
    assertThrows(IllegalArgumentException.class,
        () -> ENCODER.encode(new RequestHead("", "/", "http", headers(), -1, TCP)));
    // A name the encoder leaves out is not looked at.
    assertEquals(13, vars(new RequestHead("GET", "/", "http", headers("X_A", "1\r\n"), -1, TCP)).size());
  }
}
