package io.sluice.buffer;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes all buffered bodies together may hold — request bodies and response spools, in memory and in temporary
 * files — so that many bodies at once cannot exhaust the heap or the disk. One per process, shared by every event loop.
 *
 * <p>Memory counts the body bytes {@link BodyBuffer} and {@link Spool} keep, and the bytes on their way to a file
 * (a file write not yet done). Disk counts what the temporary files hold: a file's bytes are counted from the moment
 * they are appended until the file is closed.
 *
 * <p>A buffer reserves the bytes of each piece as it arrives (a piece is what one socket read brought, up to 64 KiB):
 * one compare-and-set per piece, never per byte. {@code try} reservations stay within the limit; bytes that exist
 * already and have nowhere else to go (one read's worth, while the producer is asked to pause) are charged past it
 * with {@code force}, so the counts always say what is held.
 *
 * <p>Thread-safe and lock-free.
 */
public final class BufferBudget {

  private final long memoryLimit;
  private final long diskLimit;
  private final AtomicLong memory = new AtomicLong();
  private final AtomicLong disk = new AtomicLong();

  /**
   * @param memoryLimit bytes all bodies may hold in memory ({@code buffers.memoryTotal})
   * @param diskLimit   bytes all temporary files may hold ({@code buffers.disk})
   */
  public BufferBudget(long memoryLimit, long diskLimit) {
    if (memoryLimit < 0) {
      throw new IllegalArgumentException("memoryLimit: " + memoryLimit + " (expected: >= 0)");
    }
    if (diskLimit < 0) {
      throw new IllegalArgumentException("diskLimit: " + diskLimit + " (expected: >= 0)");
    }
    this.memoryLimit = memoryLimit;
    this.diskLimit = diskLimit;
  }

  /** Reserves {@code n} bytes of memory if the budget has them. */
  public boolean tryMemory(long n) {
    return tryReserve(memory, memoryLimit, n);
  }

  /** Charges {@code n} bytes of memory that are held already, past the limit if need be. */
  void forceMemory(long n) {
    memory.addAndGet(n);
  }

  public void releaseMemory(long n) {
    memory.addAndGet(-n);
  }

  /** Reserves {@code n} bytes of disk if the budget has them. */
  boolean tryDisk(long n) {
    return tryReserve(disk, diskLimit, n);
  }

  void releaseDisk(long n) {
    disk.addAndGet(-n);
  }

  /** Whether the memory budget is spent: bodies go to disk, and producers feeding a file wait for it. */
  boolean memoryFull() {
    return memory.get() >= memoryLimit;
  }

  /** Whether the disk budget has room for {@code n} more bytes now (a hint: another loop may take them first). */
  boolean diskHasRoom(long n) {
    return disk.get() + n <= diskLimit;
  }

  /**
   * Whether a request body could be held now: {@code length} bytes (or, for a body of unknown length, some bytes),
   * the first {@code perBodyMemory} in memory while the memory budget lasts and the rest on disk. A hint taken before
   * a body is read, so that a client is refused before it sends a body that has nowhere to go.
   */
  public boolean couldHold(long length, long perBodyMemory) {
    long memoryFree = Math.max(0, memoryLimit - memory.get());
    long diskFree = Math.max(0, diskLimit - disk.get());
    if (length < 0) {
      return memoryFree > 0 || diskFree > 0;
    }
    long inMemory = Math.min(length, Math.min(perBodyMemory, memoryFree));
    return length - inMemory <= diskFree;
  }

  /** Bytes held in memory now. */
  public long memoryUsed() {
    return memory.get();
  }

  /** Bytes held in temporary files now. */
  public long diskUsed() {
    return disk.get();
  }

  public long memoryLimit() {
    return memoryLimit;
  }

  public long diskLimit() {
    return diskLimit;
  }

  private static boolean tryReserve(AtomicLong used, long limit, long n) {
    while (true) {
      long now = used.get();
      if (now + n > limit) {
        return false;
      }
      if (used.compareAndSet(now, now + n)) {
        return true;
      }
    }
  }
}
