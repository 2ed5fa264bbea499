package io.sluice.backend;

import io.sluice.buffer.BodyBuffer;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;

/**
 * What Sluice speaks to one kind of backend. One implementation per subpackage ({@code backend.http},
 * {@code backend.uwsgi}) carries the protocol's options (uwsgi's {@code bufferSize} and {@code maxVars}, say); the
 * runtime's factory picks it from the configuration, and nothing else in Sluice asks which protocol a backend speaks.
 *
 * <p>Immutable and thread-safe: one instance serves every request to a backend, on every event loop.
 */
public interface BackendProtocol {

  /**
   * Encodes a request's head: what goes on the wire before the body.
   *
   * @throws RequestRefusedException  when this backend could not take the request (431 for uwsgi variables over its
   *                                  buffer, say): the client gets that status, and the request never waits
   * @throws IllegalArgumentException when the request cannot be forwarded safely at all (a header value with a line
   *                                  break): the client gets 400
   */
  Buffer encodeHead(RequestHead head) throws RequestRefusedException;

  /** Whether a head encoded for {@code other} is, byte for byte, what this protocol sends too. */
  boolean encodesLike(BackendProtocol other);

  /**
   * A decoder for the responses on one new connection, reporting to {@code listener}. HTTP/1 backends and uWSGI
   * both answer in HTTP/1.x, which is what this default reads; a protocol with a framing of its own overrides it.
   */
  default ResponseDecoder newDecoder(ResponseDecoder.Listener listener) {
    return new ResponseParser(listener, ResponseParser.MAX_HEAD_BYTES);
  }

  /** Whether a connection may carry another request after a complete response (HTTP/1: yes; uwsgi: never). */
  boolean reusesConnections();

  /**
   * Writes one request: the encoded head, then the body ({@code null} when there is none) framed as this protocol
   * frames it, respecting {@code out}'s back-pressure; {@code written} is told once every byte was handed to
   * {@code out}, or why not. HTTP/1 (with the {@code Content-Length} the head announced) and uwsgi send the body as it
   * is, which is what this default does, a small body in one write with the head; a protocol with records of its own
   * (FastCGI's {@code STDIN}) overrides it.
   */
  default void writeRequest(WriteStream<Buffer> out, Buffer head, BodyBuffer body,
      Handler<AsyncResult<Void>> written) {
    if (body == null) {
      out.write(head);
      written.handle(Future.succeededFuture());
    } else if (!body.spilled() && body.length() <= 16 * 1024) {
      // One write, one syscall: the head and a small body together.
      Buffer whole = Buffer.buffer(head.length() + (int) body.length()).appendBuffer(head);
      body.copyTo(whole);
      out.write(whole);
      written.handle(Future.succeededFuture());
    } else {
      out.write(head);
      body.writeTo(out, written);
    }
  }
}
