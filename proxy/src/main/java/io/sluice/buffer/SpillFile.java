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
 * <p>Confined to the event loop that created it: every method is called there and {@code onProgress} runs there.
 * File I/O runs on Vert.x's worker pool; appends are written one at a time, in order, coalescing what piled up while
 * the previous write was in flight, so a position is readable as soon as {@link #durable()} passes it.
 */
final class SpillFile {

  private static final int COALESCE_LIMIT = 1 << 20;
  private static final AtomicLong NAMES = new AtomicLong();

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
  SpillFile(Vertx vertx, Path dir, Runnable onProgress) {
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

  /** Appends bytes after everything appended so far. */
  void append(Buffer data) {
    if (closed || failure != null) {
      return;
    }
    pending.add(data);
    pendingBytes += data.length();
    appended += data.length();
    writeNext();
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

  /**
   * Forgets every byte, so the file is reused from its start; only when nothing is pending, everything having been
   * read.
   */
  void rewind() {
    if (!writing && pending.isEmpty()) {
      appended = 0;
      durable = 0;
    }
  }

  /** Reads {@code length} durable bytes at {@code position}. */
  Future<Buffer> read(long position, int length) {
    return file.read(Buffer.buffer(length), 0, position, length);
  }

  /** Releases the descriptor (and so the disk space); idempotent. */
  void close() {
    if (closed) {
      return;
    }
    closed = true;
    pending.clear();
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
