package io.sluice.backend;

import io.vertx.core.buffer.Buffer;

/**
 * Reads the responses a backend sends on one connection, one after another, from the bytes as they arrive: the
 * protocol's half that listens. Made by {@link BackendProtocol#newDecoder} for each new connection; confined to the
 * connection's event loop.
 *
 * <p>For each request written on the connection the caller calls {@link #expect} first, then {@link #feed}s what it
 * reads, and {@link #endOfInput} when the backend closes. The decoder reports each response to its {@link Listener}
 * synchronously: one {@link Listener#onHead}, any number of {@link Listener#onBody}, one {@link Listener#onEnd}.
 */
public interface ResponseDecoder {

  /** Receives one response at a time; called on the thread that feeds the decoder. */
  interface Listener {

    /** The status line and headers of a final (non-1xx) response. */
    void onHead(ResponseHead head);

    /** A piece of the body, framing removed. Never empty; the listener may keep it. */
    void onBody(Buffer data);

    /** The response is complete; {@link #reusable()} now says whether another may follow on the connection. */
    void onEnd();
  }

  /**
   * Announces the response to the request about to be written.
   *
   * @param requestMethod the request's method; the response to {@code HEAD} has no body
   */
  void expect(String requestMethod);

  /** Reads bytes from the backend; the caller must not modify {@code data} afterwards. */
  void feed(Buffer data) throws MalformedResponseException;

  /** The backend closed the connection: ends a body delimited by the close, or fails a response cut short. */
  void endOfInput() throws MalformedResponseException;

  /** Whether the connection may carry another request after the response that just ended. */
  boolean reusable();
}
