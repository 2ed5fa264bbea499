package io.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ForwardedHeadersTest {

  private static MultiMap headers(String... pairs) {
    MultiMap m = HttpHeaders.headers();
    for (int i = 0; i < pairs.length; i += 2) {
      m.add(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  @Test
  void dropsHopByHopAndFramingHeadersAndWhatConnectionNames() {
    MultiMap out = ForwardedHeaders.forBackend(headers(
        "Host", "example.com", "Connection", "keep-alive, X-Hop", "Keep-Alive", "timeout=5", "X-Hop", "1",
        "TE", "trailers", "Transfer-Encoding", "chunked", "Upgrade", "websocket", "Proxy-Connection", "x",
        "Proxy-Authorization", "Basic eA==", "Content-Length", "5", "Expect", "100-continue", "Trailer", "x",
        "X-Keep", "yes"), "192.0.2.1", "http", "127.0.0.1:8080");
    for (String gone : List.of("Connection", "Keep-Alive", "X-Hop", "TE", "Transfer-Encoding", "Upgrade",
        "Proxy-Connection", "Proxy-Authorization", "Content-Length", "Expect", "Trailer")) {
      assertNull(out.get(gone), gone);
    }
    assertEquals("yes", out.get("X-Keep"));
    assertEquals("example.com", out.get("Host"));
  }

  @Test
  void appendsToForwardingHeadersAndReplacesTheProto() {
    MultiMap out = ForwardedHeaders.forBackend(headers(
        "Host", "example.com:8443", "X-Forwarded-For", "203.0.113.9", "X-Forwarded-For", "198.51.100.2",
        "X-Forwarded-Proto", "https", "X-Forwarded-SSL", "on", "Forwarded", "for=203.0.113.9"),
        "192.0.2.1", "http", "127.0.0.1:8080");
    assertEquals("203.0.113.9, 198.51.100.2, 192.0.2.1", out.get("X-Forwarded-For"));
    assertEquals(List.of("http"), out.getAll("X-Forwarded-Proto"));
    assertNull(out.get("X-Forwarded-SSL"), "a client must not be able to claim https");
    assertEquals("for=203.0.113.9, for=192.0.2.1;host=\"example.com:8443\";proto=http", out.get("Forwarded"));
  }

  @Test
  void quotesIpv6AndRecordsAUnixClientAsUnknown() {
    assertEquals("for=\"[2001:db8::1]\";host=h;proto=http",
        ForwardedHeaders.forBackend(headers("Host", "h"), "2001:db8::1", "http", "x").get("Forwarded"));
    MultiMap unix = ForwardedHeaders.forBackend(headers("Host", "h"), "", "http", "x");
    assertEquals("for=unknown;host=h;proto=http", unix.get("Forwarded"));
    assertNull(unix.get("X-Forwarded-For"));
  }

  @Test
  void aRequestWithoutHostGetsTheListenersAddressAndOrderIsKept() {
    MultiMap out = ForwardedHeaders.forBackend(headers("B", "2", "A", "1", "B", "3"), "192.0.2.1", "http",
        "127.0.0.1:8080");
    List<String> names = out.entries().stream().map(Map.Entry::getKey).toList();
    assertEquals(List.of("B", "A", "B", "Host", "X-Forwarded-For", "X-Forwarded-Proto", "Forwarded"), names);
    assertEquals("127.0.0.1:8080", out.get("Host"));
    assertFalse(out.contains("Connection"));
  }
}
