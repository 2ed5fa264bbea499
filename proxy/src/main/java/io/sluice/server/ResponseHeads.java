package io.sluice.server;

import io.netty.util.AsciiString;
import io.sluice.backend.ResponseHead;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;
import java.util.Set;

/**
 * The status line and headers a client gets from a backend's response head: the backend's, minus the hop-by-hop ones
 * and those its {@code Connection} names, with the framing the client's connection needs. Stateless.
 */
final class ResponseHeads {

  private static final AsciiString CONTENT_LENGTH = AsciiString.cached("content-length");

  private ResponseHeads() {
  }

  /**
   * Sets the status and headers of {@code out} from {@code h}.
   *
   * @param bodiless whether the response has no body for this request (a HEAD, a 304): its length then describes the
   *                 representation the client did not ask for, and is passed on unchanged
   * @param http10   whether the client speaks HTTP/1.0, which cannot read chunks
   * @return whether the body is delimited by closing the connection (an HTTP/1.0 client and a body of unknown
   *     length): its bytes go out as they come, with neither a length nor chunks
   */
  static boolean copy(ResponseHead h, HttpServerResponse out, boolean bodiless, boolean http10) {
    out.setStatusCode(h.status());
    if (!h.reason().isEmpty()) {
      out.setStatusMessage(h.reason());
    }
    MultiMap headers = out.headers();
    Set<String> named = HopByHop.connectionTokens(h.headers());
    String declaredLength = null;
    for (Map.Entry<String, String> e : h.headers()) {
      String name = e.getKey();
      if (CONTENT_LENGTH.contentEqualsIgnoreCase(name)) {
        declaredLength = e.getValue();
      } else if (!HopByHop.is(name) && !HopByHop.listed(named, name)) {
        headers.add(name, e.getValue());
      }
    }
    if (bodiless) {
      if (declaredLength != null) {
        headers.set(HttpHeaders.CONTENT_LENGTH, declaredLength);
      }
    } else if (h.status() == 204) {
      return false;
    } else if (h.contentLength() >= 0) {
      headers.set(HttpHeaders.CONTENT_LENGTH, Long.toString(h.contentLength()));
    } else if (http10) {
      return true;
    } else {
      out.setChunked(true);
    }
    return false;
  }
}
