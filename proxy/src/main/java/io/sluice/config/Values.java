package io.sluice.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The value parsers that the command line and the YAML file share beyond those of the configuration records.
 * Each throws {@link IllegalArgumentException} with a message of the form {@code "TEXT" (expected: ...)}, to which
 * the caller prefixes the flag or {@code FILE:LINE: key}.
 */
final class Values {

  static final String POSITIVE_DURATION_FORMS = "a duration above zero, such as 500ms, 30s, 2m or 1h";
  static final String ADMIN_FORMS = "HOST:PORT, :PORT, unix:/path or off";
  static final String BUFFER_SIZE_FORMS = "a size from 512 to 65535 bytes, as uWSGI's --buffer-size";
  static final String MAX_VARS_FORMS = "an integer from 16 to 65535, as uWSGI's --max-vars";
  static final String MEMORY_FORMS = "a size from 4KiB to 1GiB, such as 256KiB";
  static final String PATH_FORMS = "a file or directory path";
  static final String NAME_FORMS = "1 to 64 letters, digits, '_', '.' or '-'";
  static final String BOOLEAN_FORMS = "true or false";
  static final String TOKEN_FILE_FORMS = "a readable file holding the token";
  static final String RATE_FORMS = "a size per second such as 1KiB, or 0 for none";

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  private static final long MAX_MEMORY = 1L << 30;

  private Values() {
  }

  /** A duration that is not zero: a zero timeout would fail every request. */
  static Duration positiveDuration(String text) {
    Duration d;
    try {
      d = Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw expected(text, POSITIVE_DURATION_FORMS);
    }
    if (d.isZero()) {
      throw expected(text, POSITIVE_DURATION_FORMS);
    }
    return d;
  }

  /** An admin address, or empty for the word {@code off}. */
  static Optional<Address> adminAddress(String text) {
    if (text.trim().equals("off")) {
      return Optional.empty();
    }
    try {
      return Optional.of(Address.parse(text));
    } catch (IllegalArgumentException e) {
      throw expected(text, ADMIN_FORMS);
    }
  }

  static int bufferSize(String text) {
    long n = sizeOr(text, BUFFER_SIZE_FORMS);
    if (n < 512 || n > 65535) {
      throw expected(text, BUFFER_SIZE_FORMS);
    }
    return (int) n;
  }

  static int maxVars(String text) {
    try {
      int n = Integer.parseInt(text.trim());
      if (n >= 16 && n <= 65535) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below with the accepted forms
    }
    throw expected(text, MAX_VARS_FORMS);
  }

  /** The in-memory part of one body, bounded so that a handful of large requests cannot exhaust the heap. */
  static int memory(String text) {
    long n = sizeOr(text, MEMORY_FORMS);
    if (n < 4096 || n > MAX_MEMORY) {
      throw expected(text, MEMORY_FORMS);
    }
    return (int) n;
  }

  static Path path(String text) {
    if (text.isEmpty()) {
      throw expected(text, PATH_FORMS);
    }
    try {
      return Path.of(text);
    } catch (InvalidPathException e) {
      throw expected(text, PATH_FORMS);
    }
  }

  /** A backend name: it appears in admin API URLs and metric labels, so only characters safe in both. */
  static String backendName(String text) {
    if (!NAME.matcher(text).matches()) {
      throw expected(text, NAME_FORMS);
    }
    return text;
  }

  /** The name of a backend given without one: {@code default}, then {@code b2}, {@code b3}... by position. */
  static String backendName(int index) {
    return index == 0 ? "default" : "b" + (index + 1);
  }

  static boolean bool(String text) {
    return switch (text.trim()) {
      case "true" -> true;
      case "false" -> false;
      default -> throw expected(text, BOOLEAN_FORMS);
    };
  }

  /**
   * The admin token kept in a file, as a systemd credential or a Kubernetes secret is: its text without the line
   * break at the end. Read at start-up, before any event loop runs.
   */
  static String tokenFile(String text) {
    Path path = path(text);
    String token;
    try {
      token = java.nio.file.Files.readString(path).strip();
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      String why = e instanceof java.nio.file.NoSuchFileException ? "No such file or directory"
          : e instanceof java.nio.file.AccessDeniedException ? "Permission denied"
          : e instanceof java.nio.charset.MalformedInputException ? "not UTF-8 text"
          : String.valueOf(e.getMessage());
      throw new IllegalArgumentException("cannot read \"" + text + "\": " + why + " (expected: " + TOKEN_FILE_FORMS
          + ")");
    }
    if (token.isEmpty() || token.chars().anyMatch(c -> c < 0x21 || c == 0x7f)) {
      throw new IllegalArgumentException("\"" + text + "\" holds " + (token.isEmpty() ? "no token"
          : "a token with spaces or control characters") + " (expected: " + TOKEN_FILE_FORMS + ")");
    }
    return token;
  }

  /** What a setting that is a count or a word ({@code auto}, {@code max}) holds for the word. */
  static final int WORD = -1;

  /**
   * Checks what a count-or-word setting holds: a count >= 1, or {@link #WORD}.
   *
   * @throws IllegalArgumentException naming {@code value} and {@code forms}
   */
  static void checkCountOr(int value, String forms) {
    if (value < WORD || value == 0) {
      throw new IllegalArgumentException(value + " (expected: " + forms + ")");
    }
  }

  /** Parses {@code word}, as {@link #WORD}, or an integer >= 1. */
  static int countOr(String word, String text, String forms) {
    String s = text.trim();
    if (s.equals(word)) {
      return WORD;
    }
    try {
      int n = Integer.parseInt(s);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below with the accepted forms
    }
    throw expected(text, forms);
  }

  /** A count-or-word setting as configuration and the admin API write it: {@code word}, or the number. */
  static String countOr(String word, int value) {
    return value == WORD ? word : Integer.toString(value);
  }

  /** The name of an enum's constant in configuration and the admin API: its Java name in lower case. */
  static String id(Enum<?> constant) {
    return constant.name().toLowerCase(Locale.ROOT);
  }

  /** The constant of {@code values} whose {@link #id} is {@code text}, spaces around it aside. */
  static <E extends Enum<E>> E byId(E[] values, String text, String forms) {
    String s = text.trim();
    for (E e : values) {
      if (id(e).equals(s)) {
        return e;
      }
    }
    throw expected(text, forms);
  }

  static IllegalArgumentException expected(String text, String forms) {
    return new IllegalArgumentException("\"" + text + "\" (expected: " + forms + ")");
  }

  private static long sizeOr(String text, String forms) {
    try {
      return Sizes.parse(text);
    } catch (IllegalArgumentException e) {
      throw expected(text, forms);
    }
  }
}
