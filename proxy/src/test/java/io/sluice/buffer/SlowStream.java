package io.sluice.buffer;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;

/**
 * A consumer that keeps everything written to it and reports itself full after every {@code burst} bytes, until
 * a timer on the event loop drains it: a slow client.
 */
final class SlowStream implements WriteStream<Buffer> {

  final Buffer received = Buffer.buffer();
  private final Vertx vertx;
  private final int burst;
  private int sinceDrain;
  private Handler<Void> drainHandler;
  private boolean drainScheduled;

  SlowStream(Vertx vertx, int burst) {
    this.vertx = vertx;
    this.burst = burst;
  }

  @Override
  public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public Future<Void> write(Buffer data) {
    received.appendBuffer(data);
    sinceDrain += data.length();
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> end() {
    return Future.succeededFuture();
  }

  @Override
  public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
    return this;
  }

  @Override
  public boolean writeQueueFull() {
    return sinceDrain >= burst;
  }

  @Override
  public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
    this.drainHandler = handler;
    if (handler != null && !drainScheduled) {
      drainScheduled = true;
      vertx.setTimer(1, id -> {
        drainScheduled = false;
        sinceDrain = 0;
        Handler<Void> h = drainHandler;
        drainHandler = null;
        if (h != null) {
          h.handle(null);
        }
      });
    }
    return this;
  }
}
