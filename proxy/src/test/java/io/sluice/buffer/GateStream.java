package io.sluice.buffer;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;

/** A consumer that takes bytes only as far as the test allows: a client that reads when it is told to. */
final class GateStream implements WriteStream<Buffer> {

  final Buffer received = Buffer.buffer();
  private long allowed;
  private Handler<Void> drainHandler;

  /** Lets the consumer take {@code n} more bytes (it reports itself full once it has had what it was allowed). */
  void allow(long n) {
    allowed += n;
    Handler<Void> h = drainHandler;
    drainHandler = null;
    if (h != null && !writeQueueFull()) {
      h.handle(null);
    }
  }

  @Override
  public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    return this;
  }

  @Override
  public Future<Void> write(Buffer data) {
    received.appendBuffer(data);
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
    return received.length() >= allowed;
  }

  @Override
  public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
    this.drainHandler = handler;
    return this;
  }
}
