package io.sluice.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.testing.Fuzz;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Properties of the headers a backend receives, on generated header blocks from trusted and untrusted peers: what a
 * client may not set never arrives as it sent it, and everything else arrives unchanged and in order.
 */
class ForwardedHeadersFuzzTest {

  private static final String[] NAMES = {"Host", "host", "X-Forwarded-For", "x-forwarded-for", "X-Forwarded-Proto",
      "X-FORWARDED-PROTO", "X-Forwarded-Host", "Forwarded", "X-Request-Start", "x-request-start", "X_Forwarded_For",
      "SCRIPT_NAME", "Connection", "Keep-Alive", "TE", "Upgrade", "Transfer-Encoding", "Content-Length", "Expect",
      "Proxy", "Proxy-Authorization", "Proxy-Connection", "Trailer", "X-Forwarded-Ssl", "X-Forwarded-Protocol",
      "Accept", "Cookie", "X-A", "x-a", "X-B", "X-Hop", "User-Agent"};
  private static final Set<String> NEVER = Set.of("connection", "keep-alive", "te", "upgrade", "transfer-encoding",
      "content-length", "expect", "proxy", "proxy-authorization", "proxy-connection", "trailer", "x-forwarded-ssl",
      "x-forwarded-protocol");
  private static final Set<String> SLUICES = Set.of("host", "x-forwarded-for", "x-forwarded-proto",
      "x-forwarded-host", "forwarded", "x-request-start");

  private record Case(MultiMap in, ForwardedHeaders.Hop hop, String authority, String stamp) {
  }

  private static Case generate(Random r) {
    MultiMap in = HttpHeaders.headers();
    for (int i = r.nextInt(15); i > 0; i--) {
      String name = Fuzz.oneOf(r, NAMES);
      String value = name.equalsIgnoreCase("Connection")
          ? Fuzz.oneOf(r, NAMES) + ", " + Fuzz.oneOf(r, "close", "keep-alive", Fuzz.oneOf(r, NAMES).toUpperCase())
          : Fuzz.oneOf(r, "https", "http", "203.0.113." + r.nextInt(256), "t=1", "v" + r.nextInt(9), "");
      in.add(name, value);
    }
    String ip = Fuzz.oneOf(r, "192.0.2.1", "2001:db8::1", "");
    ForwardedHeaders.Hop hop = new ForwardedHeaders.Hop(ip, Fuzz.oneOf(r, "http", "https"),
        !ip.isEmpty() && r.nextBoolean(), "127.0.0.1:8080");
    return new Case(in, hop, r.nextInt(4) == 0 ? "a.example:8080" : null, r.nextBoolean() ? "t=1764531234.567" : null);
  }

  @Test
  void whatAClientMayNotSetNeverArrivesAndTheRestArrivesUnchanged() {
    Fuzz.forAll(3000, ForwardedHeadersFuzzTest::generate, c -> c.hop() + " " + c.authority() + " " + c.in(), c -> {
      ForwardedHeaders.Result result = ForwardedHeaders.forBackend(c.in(), c.hop(), c.authority(), c.stamp());
      MultiMap out = result.headers();
      Set<String> listed = new HashSet<>();
      for (String v : c.in().getAll("Connection")) {
        for (String t : v.split(",")) {
          listed.add(t.trim().toLowerCase(Locale.ROOT));
        }
      }
      List<String> expectedOrdinary = new ArrayList<>();
      for (Map.Entry<String, String> e : c.in()) {
        String lower = e.getKey().toLowerCase(Locale.ROOT);
        if (!NEVER.contains(lower) && !SLUICES.contains(lower) && !lower.contains("_") && !listed.contains(lower)) {
          expectedOrdinary.add(e.getKey() + ": " + e.getValue());
        }
      }
      List<String> ordinary = new ArrayList<>();
      for (Map.Entry<String, String> e : out) {
        String lower = e.getKey().toLowerCase(Locale.ROOT);
        assertFalse(lower.contains("_") || NEVER.contains(lower), e.getKey());
        if (!SLUICES.contains(lower)) {
          ordinary.add(e.getKey() + ": " + e.getValue());
        }
      }
      assertEquals(expectedOrdinary, ordinary, "the client's other headers, unchanged and in order");

      String firstHost = c.in().get("Host");
      assertEquals(List.of(c.authority() != null ? c.authority() : firstHost != null ? firstHost : "127.0.0.1:8080"),
          out.getAll("Host"));
      assertEquals(1, out.getAll("X-Forwarded-Proto").size());
      assertEquals(1, out.getAll("Forwarded").size());
      assertTrue(out.getAll("X-Forwarded-For").size() <= 1 && out.getAll("X-Request-Start").size() <= 1);
      String ip = c.hop().clientIp();
      String element = out.get("Forwarded").substring(out.get("Forwarded").lastIndexOf("for="));
      assertTrue(element.endsWith(";proto=" + c.hop().scheme()), element);
      if (!c.hop().trusted()) {
        assertEquals(ip.isEmpty() ? List.of() : List.of(ip), out.getAll("X-Forwarded-For"));
        assertEquals(c.hop().scheme(), out.get("X-Forwarded-Proto"));
        assertEquals(c.hop().scheme(), result.scheme());
        assertFalse(out.contains("X-Forwarded-Host"));
        assertEquals(element, out.get("Forwarded"), "only Sluice's element");
        assertEquals(c.stamp() == null ? List.of() : List.of(c.stamp()), out.getAll("X-Request-Start"));
      } else {
        List<String> chain = new ArrayList<>(c.in().getAll("X-Forwarded-For"));
        if (String.join(", ", chain).isBlank()) {
          chain.clear();
        }
        chain.add(ip);
        assertEquals(String.join(", ", chain), out.get("X-Forwarded-For"));
        String start = c.in().get("X-Request-Start");
        assertEquals(start != null ? start : c.stamp(), out.get("X-Request-Start"));
      }
    });
  }
}
