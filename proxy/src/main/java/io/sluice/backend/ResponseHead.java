package io.sluice.backend;

import io.vertx.core.MultiMap;

/**
 * The status line and headers of a backend's response, and how its body is framed.
 *
 * @param status        the status code (100 to 999, never 1xx: interim responses are skipped by the parser)
 * @param reason        the reason phrase, possibly empty
 * @param minorVersion  {@code 0} for HTTP/1.0, {@code 1} for HTTP/1.1
 * @param headers       every header as received, in order, framing ones included
 * @param contentLength the body's length when framed by {@code Content-Length}, {@code 0} when the response cannot
 *                      have a body (HEAD, 204, 304), {@code -1} when chunked or delimited by the backend closing
 * @param chunked       the body is in chunked transfer coding (the parser removes the coding)
 * @param keepAlive     the backend lets the connection carry another request after this response
 */
public record ResponseHead(
    int status, String reason, int minorVersion, MultiMap headers, long contentLength, boolean chunked, boolean keepAlive) {

  /** The body ends when the backend closes the connection. */
  public boolean closeDelimited() {
    return contentLength < 0 && !chunked;
  }
}
