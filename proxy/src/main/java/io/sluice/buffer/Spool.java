package io.sluice.buffer;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.nio.file.Path;
import java.util.ArrayDeque;

/**
 * A first-in first-out byte queue between a fast producer (a backend's response) and a slow consumer (the client):
 * it takes everything the producer sends, so the backend finishes at its own speed, keeping up to
 * {@code memoryLimit} bytes in memory and the rest in a {@link SpillFile}. When the consumer has caught up with the
 * file, the file is reused from its start, so a long stream to a slow client does not grow it without end.
 *
 * <p>Order: bytes in memory always precede bytes in the file, because once the file holds unread bytes every new
 * byte goes to the file too.
 *
 * <p>Confined to one event loop. Whoever creates it calls {@link #discard} if it is abandoned before the end.
 */
public final class Spool {

  private static final int READ_CHUNK = 64 * 1024;

  private final Vertx vertx;
  private final Path tempDir;
  private final int memoryLimit;
  private final long fileLimit;
  private final ArrayDeque<Buffer> memory = new ArrayDeque<>();
  private long memoryBytes;
  private SpillFile spill;
  private long fileRead;
  private boolean reading;
  private boolean ended;
  private boolean finished;
  private boolean discarded;
  private WriteStream<Buffer> out;
  private Handler<AsyncResult<Void>> done;
  private Handler<Void> drainHandler;

  /**
   * @param memoryLimit bytes kept in memory before spilling
   * @param fileLimit   unread bytes the file may hold before {@link #writeQueueFull} asks the producer to pause
   */
  public Spool(Vertx vertx, Path tempDir, int memoryLimit, long fileLimit) {
    this.vertx = vertx;
    this.tempDir = tempDir;
    this.memoryLimit = memoryLimit;
    this.fileLimit = fileLimit;
  }

  /** Queues bytes from the producer. */
  public void write(Buffer data) {
    if (discarded || ended) {
      return;
    }
    if ((spill != null && spill.appended() > fileRead) || memoryBytes + data.length() > memoryLimit) {
      if (spill == null) {
        spill = new SpillFile(vertx, tempDir, this::pump);
      }
      spill.append(data);
    } else {
      memory.add(data);
      memoryBytes += data.length();
    }
    pump();
  }

  /** Whether the producer should pause: the file holds {@code fileLimit} unread bytes, or the disk lags behind. */
  public boolean writeQueueFull() {
    return spill != null && (spill.appended() - fileRead > fileLimit || spill.pendingBytes() > memoryLimit);
  }

  /** Called once the queue is no longer full, after {@link #writeQueueFull} said it was. */
  public void drainHandler(Handler<Void> handler) {
    this.drainHandler = handler;
  }

  /** The producer is done: once everything queued is written out, the consumer's {@code done} runs. */
  public void end() {
    ended = true;
    pump();
  }

  /** Whether part of the stream went to a file. */
  public boolean spilled() {
    return spill != null;
  }

  /**
   * Starts writing everything queued, and everything queued later, to {@code out}, respecting its back-pressure;
   * {@code done} runs after {@link #end} once the last byte was handed to {@code out}, or with the failure.
   */
  public void pipeTo(WriteStream<Buffer> out, Handler<AsyncResult<Void>> done) {
    this.out = out;
    this.done = done;
    pump();
  }

  /** Drops what is queued and the file. Idempotent. */
  public void discard() {
    discarded = true;
    memory.clear();
    memoryBytes = 0;
    if (spill != null) {
      spill.close();
    }
  }

  private void pump() {
    while (out != null && !finished && !reading && !discarded) {
      if (spill != null && spill.failure() != null) {
        finish(Future.failedFuture(spill.failure()));
        return;
      }
      if (out.writeQueueFull()) {
        out.drainHandler(v -> pump());
        break;
      }
      Buffer next = memory.poll();
      if (next != null) {
        memoryBytes -= next.length();
        out.write(next);
        continue;
      }
      if (spill != null && fileRead < spill.durable()) {
        readFile();
        break;
      }
      if (spill != null && fileRead == spill.appended()) {
        spill.rewind();
        if (spill.appended() == 0) {
          fileRead = 0;
        }
      }
      if (ended && (spill == null || fileRead == spill.appended())) {
        finish(Future.succeededFuture());
        return;
      }
      break;
    }
    if (drainHandler != null && !writeQueueFull()) {
      Handler<Void> h = drainHandler;
      drainHandler = null;
      h.handle(null);
    }
  }

  private void readFile() {
    int n = (int) Math.min(READ_CHUNK, spill.durable() - fileRead);
    reading = true;
    spill.read(fileRead, n).onComplete(ar -> {
      reading = false;
      if (discarded) {
        return;
      }
      if (ar.failed()) {
        finish(Future.failedFuture(new SpillException("cannot read a spill file: " + ar.cause().getMessage(), ar.cause())));
        return;
      }
      fileRead += n;
      out.write(ar.result());
      pump();
    });
  }

  private void finish(AsyncResult<Void> result) {
    finished = true;
    if (spill != null) {
      spill.close();
    }
    done.handle(result);
  }
}
