package io.sluice.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How request and response bodies are held so that a backend slot is used only while the backend works.
 *
 * @param memory  bytes of one body kept in memory before the rest spills to a temporary file
 * @param maxBody largest request body accepted; larger ones are answered 413
 * @param tempDir where spill files are created (they are unlinked at once, so nothing is left behind)
 * @param memoryTotal bytes all buffered bodies together may hold in memory; past it, bodies go to disk at once
 * @param disk        bytes all temporary files together may hold; past it, new request bodies are refused with 503
 *                    and responses to slow clients are read from the backend only as fast as the client takes them
 */
public record BufferConfig(int memory, long maxBody, Path tempDir, long memoryTotal, long disk) {

  public static final int DEFAULT_MEMORY = 256 * 1024;
  public static final long DEFAULT_MAX_BODY = 100L * 1000 * 1000;

  public BufferConfig {
    Objects.requireNonNull(tempDir, "tempDir");
    if (memory < 4096) {
      throw new IllegalArgumentException("memory: " + memory + " (expected: >= 4KiB)");
    }
    if (maxBody < 0) {
      throw new IllegalArgumentException("maxBody: " + maxBody + " (expected: >= 0)");
    }
    if (memoryTotal < memory) {
      throw new IllegalArgumentException("memoryTotal: " + memoryTotal + " (expected: >= memory, " + memory + ")");
    }
    if (disk < 0) {
      throw new IllegalArgumentException("disk: " + disk + " (expected: >= 0)");
    }
  }

  /** The three per-body settings, the totals at their defaults. */
  public BufferConfig(int memory, long maxBody, Path tempDir) {
    this(memory, maxBody, tempDir, Math.max(memory, defaultMemoryTotal()), DEFAULT_DISK);
  }

  public static final long DEFAULT_DISK = 1L << 30;

  /** A quarter of the heap: what bodies may take before they spill, leaving the rest to the queue and the JVM. */
  public static long defaultMemoryTotal() {
    return Runtime.getRuntime().maxMemory() / 4;
  }

  public static BufferConfig defaults() {
    return new BufferConfig(DEFAULT_MEMORY, DEFAULT_MAX_BODY, Path.of(System.getProperty("java.io.tmpdir")));
  }

  public BufferConfig withMaxBody(long newMaxBody) {
    return new BufferConfig(memory, newMaxBody, tempDir, memoryTotal, disk);
  }
}
