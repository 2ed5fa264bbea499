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
 * it takes what the producer sends, so the backend finishes at its own speed, as long as the {@link BufferBudget}
 * lasts. The bytes are kept in a line of segments, each in memory or in a {@link SpillFile} of at most
 * {@value #SEGMENT_BYTES} bytes; a file is closed, and its disk given back, as soon as the consumer has read it.
 *
 * <p>Where a piece goes: to memory while this spool's memory share ({@code memoryLimit}) and the budget's memory last
 * and no file holds unread bytes (which keeps files from being made and closed piece by piece); otherwise to the last
 * file while this spool's disk share ({@code fileLimit}) and the budget's disk last; otherwise — the budget is spent —
 * to memory anyway, past the budget, and {@link #writeQueueFull} asks the producer to pause until the consumer has
 * taken it: from then on the producer goes at the consumer's speed.
 *
 * <p>Confined to one event loop. Whoever creates it calls {@link #discard} if it is abandoned before the end.
 */
public final class Spool {

  /** Bytes one file holds before the next one starts. */
  public static final long SEGMENT_BYTES = 4L << 20;
  private static final int READ_CHUNK = 64 * 1024;

  /** Consecutive pieces kept in memory. */
  private static final class Memory {
    final ArrayDeque<Buffer> pieces = new ArrayDeque<>();
  }

  /** A file and how far the consumer has read it. */
  private static final class File {
    final SpillFile file;
    long read;

    File(SpillFile file) {
      this.file = file;
    }
  }

  private final Vertx vertx;
  private final Path tempDir;
  private final BufferBudget budget;
  private final int memoryLimit;
  private final long fileLimit;
  /** {@link Memory} and {@link File} segments, oldest first. */
  private final ArrayDeque<Object> segments = new ArrayDeque<>(4);
  private long memoryBytes;
  private long fileBytes;
  private int files;
  private boolean spilled;
  private long accepted;
  private long handedOut;
  /** What had been handed to the consumer at the last look that saw it take bytes, and when that look was. */
  private long handedAtLastLook = -1;
  private long lastLookNanos;
  /** Until the consumer has been handed this many bytes, bytes taken past the budget are still here. */
  private long forcedUntil;
  private boolean consumerBlocked;
  private boolean reading;
  private boolean ended;
  private boolean finished;
  private boolean discarded;
  private WriteStream<Buffer> out;
  private Handler<AsyncResult<Void>> done;
  private Handler<Void> drainHandler;

  /**
   * @param memoryLimit bytes this spool keeps in memory before spilling
   * @param fileLimit   bytes this spool's files may hold at once; past them (or past the budget's disk) the producer
   *                    goes at the consumer's speed
   */
  public Spool(Vertx vertx, Path tempDir, BufferBudget budget, int memoryLimit, long fileLimit) {
    this.vertx = vertx;
    this.tempDir = tempDir;
    this.budget = budget;
    this.memoryLimit = memoryLimit;
    this.fileLimit = fileLimit;
  }

  /** Queues bytes from the producer. */
  public void write(Buffer data) {
    if (discarded || ended) {
      return;
    }
    int n = data.length();
    accepted += n;
    if (files == 0 && memoryBytes + n <= memoryLimit && budget.tryMemory(n)) {
      toMemory(data);
    } else if (!toFile(data)) {
      budget.forceMemory(n);
      toMemory(data);
      forcedUntil = accepted;
    }
    pump();
  }

  /**
   * Whether the producer should pause: bytes taken past the budget are still here, this spool's memory share is
   * spent, or the disk lags behind (its writes wait in memory).
   */
  public boolean writeQueueFull() {
    if (handedOut < forcedUntil || memoryBytes > memoryLimit) {
      return true;
    }
    long pending = pendingDiskWrites();
    return pending > memoryLimit || (pending > 0 && budget.memoryFull());
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
    return spilled;
  }

  /**
   * How long the consumer has taken no byte while bytes wait for it, as seen by periodic looks: 0 when it took bytes
   * since the last look, or has none waiting; else the time since the last look that saw it take some (or see none).
   *
   * @param now the time of this look, on the caller's monotonic clock
   */
  public long consumerStalledFor(long now) {
    if (handedOut != handedAtLastLook || !consumerBlocked) {
      handedAtLastLook = handedOut;
      lastLookNanos = now;
      return 0;
    }
    return now - lastLookNanos;
  }

  /** Bytes held in memory now. */
  public long memoryBytes() {
    return memoryBytes;
  }

  /** Bytes held in files now. */
  public long fileBytes() {
    return fileBytes;
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

  /** Drops what is queued and the files, and gives their bytes back to the budget. Idempotent. */
  public void discard() {
    if (!discarded) {
      discarded = true;
      release();
    }
  }

  private void toMemory(Buffer data) {
    Memory m = segments.peekLast() instanceof Memory last ? last : null;
    if (m == null) {
      m = new Memory();
      segments.add(m);
    }
    m.pieces.add(data);
    memoryBytes += data.length();
  }

  /** Appends to the last file, or a new one; false when this spool's or the budget's disk is spent. */
  private boolean toFile(Buffer data) {
    int n = data.length();
    if (fileBytes + n > fileLimit) {
      return false;
    }
    File f = segments.peekLast() instanceof File last && last.file.appended() + n <= SEGMENT_BYTES ? last : null;
    if (f == null) {
      if (!budget.diskHasRoom(n)) {
        return false;
      }
      f = new File(new SpillFile(vertx, tempDir, budget, this::pump));
      segments.add(f);
      files++;
      spilled = true;
    }
    if (!f.file.tryAppend(data)) {
      if (f.file.appended() == 0) {
        segments.removeLast();
        files--;
        f.file.close();
      }
      return false;
    }
    fileBytes += n;
    return true;
  }

  private long pendingDiskWrites() {
    if (files == 0) {
      return 0;
    }
    long pending = 0;
    for (Object s : segments) {
      if (s instanceof File f) {
        pending += f.file.pendingBytes();
      }
    }
    return pending;
  }

  private void pump() {
    while (out != null && !finished && !reading && !discarded) {
      Object head = segments.peek();
      if (head == null) {
        if (ended) {
          finish(Future.succeededFuture());
          return;
        }
        break;
      }
      if (head instanceof File f) {
        if (f.file.failure() != null) {
          finish(Future.failedFuture(f.file.failure()));
          return;
        }
        if (f.read == f.file.appended()) {
          // Read to its end: the file goes, and its disk with it; later bytes start another.
          segments.poll();
          files--;
          fileBytes -= f.file.appended();
          f.file.close();
          continue;
        }
      }
      if (out.writeQueueFull()) {
        consumerBlocked = true;
        out.drainHandler(v -> {
          consumerBlocked = false;
          pump();
        });
        break;
      }
      if (head instanceof Memory m) {
        Buffer next = m.pieces.poll();
        if (m.pieces.isEmpty()) {
          segments.poll();
        }
        memoryBytes -= next.length();
        budget.releaseMemory(next.length());
        handedOut += next.length();
        out.write(next);
        continue;
      }
      File f = (File) head;
      if (f.read < f.file.durable()) {
        readFile(f);
      }
      // Otherwise the file's next bytes are still on their way to the disk.
      break;
    }
    if (drainHandler != null && !writeQueueFull()) {
      Handler<Void> h = drainHandler;
      drainHandler = null;
      h.handle(null);
    }
  }

  private void readFile(File f) {
    int n = (int) Math.min(READ_CHUNK, f.file.durable() - f.read);
    reading = true;
    f.file.read(f.read, n).onComplete(ar -> {
      reading = false;
      if (discarded || finished) {
        return;
      }
      if (ar.failed()) {
        finish(Future.failedFuture(new SpillException("cannot read a spill file: " + ar.cause().getMessage(), ar.cause())));
        return;
      }
      f.read += n;
      handedOut += n;
      out.write(ar.result());
      pump();
    });
  }

  private void finish(AsyncResult<Void> result) {
    finished = true;
    release();
    done.handle(result);
  }

  private void release() {
    for (Object s : segments) {
      if (s instanceof File f) {
        f.file.close();
      }
    }
    segments.clear();
    budget.releaseMemory(memoryBytes);
    memoryBytes = 0;
    fileBytes = 0;
    files = 0;
    consumerBlocked = false;
  }
}
