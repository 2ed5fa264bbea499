package io.sluice.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How request and response bodies are held so that a backend slot is used only while the backend works.
 *
 * @param memory  bytes of one body kept in memory before the rest spills to a temporary file
 * @param maxBody largest request body accepted; larger ones are answered 413
 * @param tempDir where spill files are created (they are unlinked at once, so nothing is left behind)
 */
public record BufferConfig(int memory, long maxBody, Path tempDir) {

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
  }

  public static BufferConfig defaults() {
    return new BufferConfig(DEFAULT_MEMORY, DEFAULT_MAX_BODY, Path.of(System.getProperty("java.io.tmpdir")));
  }
}
