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
 * in memory while the {@link BufferBudget}'s memory lasts, the rest in a {@link SpillFile} while its disk lasts. Once
 * ended it can be written out any number of times (a request retried on a fresh connection sends it again).
 *
 * <p>Budget: the bytes in memory are reserved as they arrive and given back by {@link #discard}; the file holds its
 * own (see {@link SpillFile}). A piece that fits in neither is refused ({@link #append} answers false) and the body is
 * no use any more.
 *
 * <p>Confined to one event loop, like the request it belongs to. Whoever creates it calls {@link #discard} when done.
 */
public final class BodyBuffer {

  private static final int READ_CHUNK = 64 * 1024;

  private final Vertx vertx;
  private final Path tempDir;
  private final BufferBudget budget;
  private final int memoryLimit;
  private final List<Buffer> chunks = new ArrayList<>(2);
  private long memoryBytes;
  private long length;
  private SpillFile spill;
  private Handler<Void> drainHandler;
  private Handler<AsyncResult<Void>> endHandler;
  private boolean discarded;

  /**
   * @param memoryLimit bytes of this body kept in memory (while the budget's memory lasts) before the rest goes to a
   *                    file
   */
  public BodyBuffer(Vertx vertx, Path tempDir, BufferBudget budget, int memoryLimit) {
    this.vertx = vertx;
    this.tempDir = tempDir;
    this.budget = budget;
    this.memoryLimit = memoryLimit;
  }

  /**
   * Appends received bytes: to memory while this body's share and the budget's memory last, else to the file.
   *
   * @return false when the budget has room for them neither in memory nor on disk: they were not kept, and the body
   *     cannot be completed
   */
  public boolean append(Buffer data) {
    if (discarded) {
      return true;
    }
    int n = data.length();
    if (spill == null && memoryBytes + n <= memoryLimit && budget.tryMemory(n)) {
      chunks.add(data);
      memoryBytes += n;
      length += n;
      return true;
    }
    if (spill == null) {
      if (!budget.diskHasRoom(n)) {
        return false;
      }
      spill = new SpillFile(vertx, tempDir, budget, this::onSpillProgress);
    }
    if (!spill.tryAppend(data)) {
      return false;
    }
    length += n;
    return true;
  }

  /**
   * Whether the producer should pause: bytes waiting for the disk exceed this body's memory share, or any wait at all
   * while the budget's memory is spent (they are in memory until written).
   */
  public boolean writeQueueFull() {
    return spill != null && (spill.pendingBytes() > memoryLimit
        || (spill.pendingBytes() > 0 && budget.memoryFull()));
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

  /** Drops the body and its file, and gives their bytes back to the budget. Idempotent. */
  public void discard() {
    if (discarded) {
      return;
    }
    discarded = true;
    chunks.clear();
    budget.releaseMemory(memoryBytes);
    memoryBytes = 0;
    if (spill != null) {
      spill.close();
    }
  }

  private void onSpillProgress() {
    if (spill != null && spill.failure() != null) {
      completeEnd(Future.failedFuture(spill.failure()));
      return;
    }
    if (drainHandler != null && spill != null && (spill.pendingBytes() == 0
        || (spill.pendingBytes() <= memoryLimit / 2 && !budget.memoryFull()))) {
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
