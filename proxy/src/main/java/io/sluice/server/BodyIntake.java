package io.sluice.server;

import io.sluice.buffer.BodyBuffer;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * One request body as it arrives, for its {@link Exchange}: kept whole in a {@link BodyBuffer}, the client paused
 * while the buffer waits for the disk, and timed for the client timeouts (when the body began, when its last byte
 * came). A body over the largest allowed, or with no room left in the buffer budget, is reported to the exchange,
 * which answers; after {@link #stop} what still arrives is read and dropped.
 *
 * <p>The buffer is the exchange's to hand to the backend call; {@link #stop} frees it, once, whenever the exchange is
 * done with it. It is the request's data handler itself (one object per body, no handler besides). Confined to the
 * request's event loop.
 */
final class BodyIntake implements Handler<Buffer> {

  private final Exchange exchange;
  private final Proxy proxy;
  private final HttpServerRequest request;
  private final BodyBuffer body;
  private final long startNanos;
  private long lastNanos;
  private boolean paused;
  private boolean complete;
  private boolean stopped;

  /** Starts taking the body of {@code request}. */
  BodyIntake(Exchange exchange, Proxy proxy, HttpServerRequest request) {
    this.exchange = exchange;
    this.proxy = proxy;
    this.request = request;
    this.body = proxy.newBodyBuffer();
    this.startNanos = proxy.now();
    this.lastNanos = startNanos;
    request.handler(this);
    request.endHandler(v -> {
      if (!stopped) {
        complete = true;
        body.end(exchange::bodyComplete);
      }
    });
  }

  BodyBuffer body() {
    return body;
  }

  Exchange exchange() {
    return exchange;
  }

  /** How long the body has been silent; 0 once it is complete. */
  long idleFor(long now) {
    return complete || stopped ? 0 : now - lastNanos;
  }

  /** How long the body has been arriving; 0 once it is complete. */
  long elapsed(long now) {
    return complete || stopped ? 0 : now - startNanos;
  }

  /** Bytes received so far. */
  long received() {
    return body.length();
  }

  /** Frees the buffer; what still arrives is read and dropped, so the connection reaches its next request. */
  void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    body.discard();
    if (paused) {
      paused = false;
      request.resume();
    }
  }

  /** A piece of the body arrived. */
  @Override
  public void handle(Buffer chunk) {
    if (stopped) {
      return;
    }
    if (body.length() + chunk.length() > proxy.settings().maxBody()) {
      exchange.tooLarge();
      return;
    }
    lastNanos = proxy.now();
    if (!body.append(chunk)) {
      exchange.buffersFull();
      return;
    }
    if (body.writeQueueFull() && !paused) {
      paused = true;
      request.pause();
      body.drainHandler(v -> {
        paused = false;
        request.resume();
      });
    }
  }
}
