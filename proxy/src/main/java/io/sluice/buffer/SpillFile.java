package io.sluice.buffer;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A temporary file for bytes that do not fit in memory: appended in order, read back by position. The file is
 * unlinked as soon as it is open, so it disappears with its descriptor even if the process dies.
 *
 * <p>Budget: every byte appended is a byte of the {@link BufferBudget}'s disk from {@link #tryAppend} until
 * {@link #close}, which gives them all back (the file is never rewritten in place, so what it holds on disk is what
 * was appended); a byte waiting for its write is also a byte of its memory until the write is done.
 *
 * <p>Confined to the event loop that created it: every method is called there and {@code onProgress} runs there.
 * File I/O runs on Vert.x's worker pool; appends are written one at a time, in order, coalescing what piled up while
 * the previous write was in flight, so a position is readable as soon as {@link #durable()} passes it.
 */
final class SpillFile {

  private static final int COALESCE_LIMIT = 1 << 20;
  private static final AtomicLong NAMES = new AtomicLong();

  private final BufferBudget budget;
  private final Runnable onProgress;
  private final ArrayDeque<Buffer> pending = new ArrayDeque<>();
  private AsyncFile file;
  private Throwable failure;
  private boolean writing;
  private boolean closed;
  private long pendingBytes;
  private long appended;
  private long durable;

  /**
   * Starts creating the file; appends may begin at once.
   *
   * @param onProgress called after each write completes, and once on failure
   */
  SpillFile(Vertx vertx, Path dir, BufferBudget budget, Runnable onProgress) {
    this.budget = budget;
    this.onProgress = onProgress;
    String path = dir.resolve("sluice-" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet() + "-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".spill").toString();
    OpenOptions options = new OpenOptions().setRead(true).setWrite(true).setCreateNew(true).setPerms("rw-------");
    vertx.fileSystem().open(path, options)
        .compose(f -> vertx.fileSystem().delete(path).map(f))
        .onComplete(ar -> {
          if (ar.failed()) {
            fail(new SpillException("cannot create a spill file in " + dir + ": " + ar.cause().getMessage(), ar.cause()));
          } else if (closed) {
            ar.result().close();
          } else {
            file = ar.result();
            writeNext();
          }
        });
  }

  /**
   * Appends bytes after everything appended so far, if the disk budget has room for them; a file that failed or
   * was closed takes (and drops) them.
   *
   * @return false, appending nothing, when the disk budget is spent
   */
  boolean tryAppend(Buffer data) {
    if (closed || failure != null) {
      return true;
    }
    int n = data.length();
    if (!budget.tryDisk(n)) {
      return false;
    }
    budget.forceMemory(n);
    pending.add(data);
    pendingBytes += n;
    appended += n;
    writeNext();
    return true;
  }

  /** Bytes appended so far (written or not). */
  long appended() {
    return appended;
  }

  /** Bytes on disk, readable: always a prefix of what was appended. */
  long durable() {
    return durable;
  }

  /** Bytes appended but not yet on disk. */
  long pendingBytes() {
    return pendingBytes;
  }

  /** Why the file failed, or {@code null}. */
  Throwable failure() {
    return failure;
  }

  /** Reads {@code length} durable bytes at {@code position}. */
  Future<Buffer> read(long position, int length) {
    return file.read(Buffer.buffer(length), 0, position, length);
  }

  /** Releases the descriptor (and so the disk space) and gives the file's bytes back to the budget; idempotent. */
  void close() {
    if (closed) {
      return;
    }
    closed = true;
    pending.clear();
    budget.releaseMemory(pendingBytes);
    budget.releaseDisk(appended);
    pendingBytes = 0;
    if (file != null) {
      file.close();
    }
  }

  private void writeNext() {
    if (writing || file == null || pending.isEmpty() || closed) {
      return;
    }
    Buffer chunk = pending.poll();
    if (!pending.isEmpty() && chunk.length() < COALESCE_LIMIT) {
      Buffer merged = Buffer.buffer((int) Math.min(pendingBytes, COALESCE_LIMIT));
      merged.appendBuffer(chunk);
      while (!pending.isEmpty() && merged.length() + pending.peek().length() <= COALESCE_LIMIT) {
        merged.appendBuffer(pending.poll());
      }
      chunk = merged;
    }
    int length = chunk.length();
    writing = true;
    file.write(chunk, durable).onComplete(ar -> {
      writing = false;
      if (closed) {
        return;
      }
      if (ar.failed()) {
        fail(new SpillException("cannot write a spill file: " + ar.cause().getMessage(), ar.cause()));
        return;
      }
      budget.releaseMemory(length);
      pendingBytes -= length;
      durable += length;
      writeNext();
      onProgress.run();
    });
  }

  private void fail(Throwable cause) {
    if (failure == null && !closed) {
      failure = cause;
      onProgress.run();
    }
  }
}
