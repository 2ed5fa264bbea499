package io.sluice.buffer;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A request body, received whole before the request asks for a backend slot: the first {@code memoryLimit} bytes
 * in memory, the rest in a {@link SpillFile}. Once ended it can be written out any number of times (a request
 * retried on a fresh connection sends it again).
 *
 * <p>Confined to one event loop, like the request it belongs to. Whoever creates it calls {@link #discard} when done.
 */
public final class BodyBuffer {

  private static final int READ_CHUNK = 64 * 1024;

  private final Vertx vertx;
  private final Path tempDir;
  private final int memoryLimit;
  private final List<Buffer> chunks = new ArrayList<>(2);
  private long memoryBytes;
  private long length;
  private SpillFile spill;
  private Handler<Void> drainHandler;
  private Handler<AsyncResult<Void>> endHandler;
  private boolean discarded;

  public BodyBuffer(Vertx vertx, Path tempDir, int memoryLimit) {
    this.vertx = vertx;
    this.tempDir = tempDir;
    this.memoryLimit = memoryLimit;
  }

  /** Appends received bytes. */
  public void append(Buffer data) {
    if (discarded) {
      return;
    }
    length += data.length();
    if (spill == null && memoryBytes + data.length() <= memoryLimit) {
      chunks.add(data);
      memoryBytes += data.length();
      return;
    }
    if (spill == null) {
      spill = new SpillFile(vertx, tempDir, this::onSpillProgress);
    }
    spill.append(data);
  }

  /** Whether the producer should pause: bytes waiting for the disk exceed the memory limit. */
  public boolean writeQueueFull() {
    return spill != null && spill.pendingBytes() > memoryLimit;
  }

  /** Called once the queue is no longer full, after {@link #writeQueueFull} said it was. */
  public void drainHandler(Handler<Void> handler) {
    this.drainHandler = handler;
  }

  /** Bytes received so far; once ended, the body's length. */
  public long length() {
    return length;
  }

  /** Whether part of the body is in a file. */
  public boolean spilled() {
    return spill != null;
  }

  /** Marks the body complete; {@code handler} runs once every byte is readable (in memory or on disk). */
  public void end(Handler<AsyncResult<Void>> handler) {
    this.endHandler = handler;
    onSpillProgress();
  }

  /**
   * Writes the whole body to {@code out}, respecting its back-pressure; {@code done} runs when the last byte was
   * handed to it, or with the failure. Only after {@link #end} completed.
   */
  public void writeTo(WriteStream<Buffer> out, Handler<AsyncResult<Void>> done) {
    new Cursor(out, done).pump();
  }

  /** Appends the whole body to {@code target}; only for a body held entirely in memory (not {@link #spilled}). */
  public void copyTo(Buffer target) {
    if (spill != null) {
      throw new IllegalStateException("the body is partly in a file");
    }
    for (Buffer c : chunks) {
      target.appendBuffer(c);
    }
  }

  /** Drops the body and its file. Idempotent. */
  public void discard() {
    discarded = true;
    chunks.clear();
    if (spill != null) {
      spill.close();
    }
  }

  private void onSpillProgress() {
    if (spill != null && spill.failure() != null) {
      completeEnd(Future.failedFuture(spill.failure()));
      return;
    }
    if (drainHandler != null && spill != null && spill.pendingBytes() <= memoryLimit / 2) {
      Handler<Void> h = drainHandler;
      drainHandler = null;
      h.handle(null);
    }
    if (spill == null || spill.pendingBytes() == 0) {
      completeEnd(Future.succeededFuture());
    }
  }

  private void completeEnd(AsyncResult<Void> result) {
    Handler<AsyncResult<Void>> h = endHandler;
    if (h != null) {
      endHandler = null;
      h.handle(result);
    }
  }

  /** One pass over the body: memory chunks in order, then the file from its start. */
  private final class Cursor {
    private final WriteStream<Buffer> out;
    private final Handler<AsyncResult<Void>> done;
    private int chunk;
    private long filePosition;
    private boolean reading;
    private boolean finished;

    Cursor(WriteStream<Buffer> out, Handler<AsyncResult<Void>> done) {
      this.out = out;
      this.done = done;
    }

    void pump() {
      while (!finished && !reading) {
        if (discarded) {
          finish(Future.failedFuture(new SpillException("the request body was discarded", null)));
          return;
        }
        if (out.writeQueueFull()) {
          out.drainHandler(v -> pump());
          return;
        }
        if (chunk < chunks.size()) {
          out.write(chunks.get(chunk++));
          continue;
        }
        if (spill == null || filePosition >= spill.durable()) {
          finish(Future.succeededFuture());
          return;
        }
        int n = (int) Math.min(READ_CHUNK, spill.durable() - filePosition);
        reading = true;
        spill.read(filePosition, n).onComplete(ar -> {
          reading = false;
          if (ar.failed()) {
            finish(Future.failedFuture(new SpillException("cannot read a spill file: " + ar.cause().getMessage(), ar.cause())));
            return;
          }
          filePosition += n;
          out.write(ar.result());
          pump();
        });
      }
    }

    private void finish(AsyncResult<Void> result) {
      if (!finished) {
        finished = true;
        done.handle(result);
      }
    }
  }
}
