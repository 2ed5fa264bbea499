package io.sluice.backend.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sluice.backend.RequestHead;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpRequestEncoderTest {

  private static final RequestHead.Peer PEER = new RequestHead.Peer("10.0.0.1", 5555, "127.0.0.1", 8080);

  /** Headers as tests need them: no validation, so invalid names and values can be offered to the encoder. */
  private static MultiMap headers(String... namesAndValues) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      headers.add(namesAndValues[i], namesAndValues[i + 1]);
    }
    return headers;
  }

  private static RequestHead head(String method, String uri, long contentLength, MultiMap headers) {
    return new RequestHead(method, uri, "http", headers, contentLength, PEER);
  }

  private static byte[] latin1(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void requestWithoutBody() {
    RequestHead head = head("GET", "/search?q=a%20b&x", -1,
        headers("Host", "example.com", "Accept", "*/*", "X-Multi", "1", "x-multi", "2", "Cookie", "a=1; b=2"));
    assertArrayEquals(latin1("GET /search?q=a%20b&x HTTP/1.1\r\n"
            + "Host: example.com\r\n"
            + "Accept: */*\r\n"
            + "X-Multi: 1\r\n"
            + "x-multi: 2\r\n"
            + "Cookie: a=1; b=2\r\n"
            + "\r\n"),
        HttpRequestEncoder.encode(head).getBytes());
  }

  @Test
  void requestWithBodyGetsItsContentLength() {
    assertArrayEquals(latin1("POST /form HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n"),
        HttpRequestEncoder.encode(head("POST", "/form", 11, headers("Host", "h", "Content-Type", "text/plain")))
            .getBytes());
    assertArrayEquals(latin1("POST /empty HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"),
        HttpRequestEncoder.encode(head("POST", "/empty", 0, headers("Host", "h"))).getBytes());
  }

  @Test
  void framingHeadersAmongTheHeadersAreLeftOut() {
    assertArrayEquals(latin1("PUT /x HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nContent-Length: 3\r\n\r\n"),
        HttpRequestEncoder.encode(head("PUT", "/x", 3,
            headers("Host", "h", "content-length", "999", "X-A", "1", "Transfer-Encoding", "chunked"))).getBytes());
  }

  @Test
  void anEmptyHostIsAddedWhenThereIsNone() {
    assertArrayEquals(latin1("GET / HTTP/1.1\r\nHost: \r\nAccept: */*\r\n\r\n"),
        HttpRequestEncoder.encode(head("GET", "/", -1, headers("Accept", "*/*"))).getBytes());
  }

  @Test
  void bytesReceivedAsLatin1GoOutUnchanged() {
    // 0xE9 arrived as one byte (Netty reads header bytes as ISO-8859-1): it leaves as that byte.
    byte[] expected = {
        'G', 'E', 'T', ' ', '/', 0x7e, ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n',
        'H', 'o', 's', 't', ':', ' ', 'h', '\r', '\n',
        'X', '-', 'N', 'a', 'm', 'e', ':', ' ', 'c', 'a', 'f', (byte) 0xe9, '\t', '!', '\r', '\n',
        'X', '-', 'E', 'u', 'r', 'o', ':', ' ', (byte) 0xe2, (byte) 0x82, (byte) 0xac, '\r', '\n',
        '\r', '\n'};
    assertArrayEquals(expected, HttpRequestEncoder.encode(
        head("GET", "/~", -1, headers("Host", "h", "X-Name", "caf\u00e9\t!", "X-Euro", "\u20ac"))).getBytes());
  }

  @Test
  void headerInjectionIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HttpRequestEncoder.encode(
        head("GET", "/", -1, headers("Host", "h", "X-A", "1\r\nX-Injected: 2"))));
    assertEquals("header X-A: value contains U+000D (expected: no CR, LF or NUL)", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> HttpRequestEncoder.encode(head("GET", "/", -1, headers("X-A", "1\nX-Injected: 2"))));
    assertThrows(IllegalArgumentException.class,
        () -> HttpRequestEncoder.encode(head("GET", "/", -1, headers("X-A", "a\u0000b"))));
    e = assertThrows(IllegalArgumentException.class,
        () -> HttpRequestEncoder.encode(head("GET", "/", -1, headers("X-A: 1\r\nX-B", "2"))));
    assertEquals("header name: \"X-A: 1\r\nX-B\" (expected: a token)", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> HttpRequestEncoder.encode(head("GET", "/", -1, headers("X A", "1"))));
    assertThrows(IllegalArgumentException.class,
        () -> HttpRequestEncoder.encode(head("GET", "/", -1, headers("", "1"))));

    e = assertThrows(IllegalArgumentException.class,
        () -> HttpRequestEncoder.encode(head("GET", "/a HTTP/1.1\r\nX: y", -1, headers())));
    assertEquals("uri: contains a space (expected: no spaces or control characters)", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> HttpRequestEncoder.encode(head("GET", "/a\r\nX:y", -1, headers())));
    assertThrows(IllegalArgumentException.class,
        () -> HttpRequestEncoder.encode(head("GET", "/a\u0000", -1, headers())));
    assertThrows(IllegalArgumentException.class, () -> HttpRequestEncoder.encode(head("GET", "", -1, headers())));
    e = assertThrows(IllegalArgumentException.class,
        () -> HttpRequestEncoder.encode(head("GET / HTTP/1.1\r\n", "/", -1, headers())));
    assertEquals("method: \"GET / HTTP/1.1\r\n\" (expected: a token)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> HttpRequestEncoder.encode(head("", "/", -1, headers())));
  }
}
