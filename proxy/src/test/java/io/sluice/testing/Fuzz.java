package io.sluice.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Property tests on generated input: a property is checked on {@code tries} inputs drawn from a {@link Random}, each
 * try on a worker thread and bounded in time, so that a loop that never ends fails the test instead of hanging it.
 *
 * <p>Each run draws a new seed, so that runs together cover more than one could; a failure names the seed and the
 * input. {@code -Dsluice.fuzz.seed=S} replays a run, {@code -Dsluice.fuzz.tries=N} overrides every property's count
 * (a long run: {@code -Dsluice.fuzz.tries=200000}).
 *
 * <p>Input is generated, not shrunk: generators keep inputs small enough to read in a failure message.
 */
public final class Fuzz {

  /** Longest one try may take: far more than any of them needs, far less than a test runner's patience. */
  private static final long TRY_TIMEOUT_MS = 5_000;

  private static final ExecutorService WORKER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "fuzz-try");
    // A try that never ends keeps its thread; it must not keep the JVM.
    t.setDaemon(true);
    return t;
  });

  /** A property of one input: returns normally when it holds. */
  @FunctionalInterface
  public interface Property<T> {
    void check(T input) throws Exception;
  }

  private Fuzz() {
  }

  /**
   * Checks {@code property} on {@code tries} inputs from {@code generator}.
   *
   * @param show how an input reads in a failure message
   */
  public static <T> void forAll(int tries, Function<Random, T> generator, Function<T, String> show,
      Property<T> property) {
    long seed = Long.getLong("sluice.fuzz.seed", System.nanoTime());
    int n = Integer.getInteger("sluice.fuzz.tries", tries);
    Random random = new Random(seed);
    for (int i = 0; i < n; i++) {
      T input = generator.apply(random);
      Future<?> run = WORKER.submit(() -> {
        property.check(input);
        return null;
      });
      try {
        run.get(TRY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        run.cancel(true);
        fail("try " + i + " (-Dsluice.fuzz.seed=" + seed + ") took over " + TRY_TIMEOUT_MS + " ms on: "
            + show.apply(input));
      } catch (ExecutionException e) {
        throw new AssertionError("try " + i + " (-Dsluice.fuzz.seed=" + seed + ") failed on: " + show.apply(input)
            + "\n" + e.getCause(), e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  /** Bytes as a Java string literal would show them: printable ASCII as is, the rest escaped. */
  public static String escape(byte[] bytes) {
    StringBuilder s = new StringBuilder(bytes.length + 16).append('"');
    for (byte b : bytes) {
      int c = b & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        s.append((char) c);
      } else if (c == '\r') {
        s.append("\\r");
      } else if (c == '\n') {
        s.append("\\n");
      } else {
        s.append(String.format("\\x%02x", c));
      }
    }
    return s.append('"').toString();
  }

  /** A string as a Java string literal would show it. */
  public static String escape(String text) {
    StringBuilder s = new StringBuilder(text.length() + 16).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        s.append(c);
      } else if (c == '\r') {
        s.append("\\r");
      } else if (c == '\n') {
        s.append("\\n");
      } else {
        s.append(String.format("\\u%04x", (int) c));
      }
    }
    return s.append('"').toString();
  }

  /** One of {@code options}. */
  @SafeVarargs
  public static <T> T oneOf(Random random, T... options) {
    return options[random.nextInt(options.length)];
  }
}
