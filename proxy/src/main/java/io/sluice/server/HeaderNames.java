package io.sluice.server;

import java.util.Arrays;

/**
 * A few header names, each of a kind (a small number >= 0 of the caller's), looked up ignoring case and by length
 * first: most names are found to be none of them without a character compared, and a lookup allocates nothing.
 * Immutable.
 */
final class HeaderNames {

  private static final HeaderNames NONE = new HeaderNames(new String[0][], new int[0][]);

  /** The names by their length, and the kind of each. */
  private final String[][] names;
  private final int[][] kinds;

  private HeaderNames(String[][] names, int[][] kinds) {
    this.names = names;
    this.kinds = kinds;
  }

  /** These names, all of one kind. */
  static HeaderNames of(String... names) {
    return NONE.with(0, names);
  }

  static HeaderNames none() {
    return NONE;
  }

  /** These names, of {@code kind}, and those held already. */
  HeaderNames with(int kind, String... more) {
    if (kind < 0) {
      throw new IllegalArgumentException("kind: " + kind + " (expected: >= 0)");
    }
    HeaderNames all = this;
    for (String name : more) {
      all = all.with(kind, name);
    }
    return all;
  }

  private HeaderNames with(int kind, String name) {
    int length = name.length();
    String[][] byLength = Arrays.copyOf(names, Math.max(names.length, length + 1));
    int[][] kindsByLength = Arrays.copyOf(kinds, byLength.length);
    int k = byLength[length] == null ? 0 : byLength[length].length;
    byLength[length] = k == 0 ? new String[1] : Arrays.copyOf(byLength[length], k + 1);
    kindsByLength[length] = k == 0 ? new int[1] : Arrays.copyOf(kindsByLength[length], k + 1);
    byLength[length][k] = name;
    kindsByLength[length][k] = kind;
    return new HeaderNames(byLength, kindsByLength);
  }

  /** The kind of {@code name}, or {@code otherwise} when it is none of these names. */
  int kind(String name, int otherwise) {
    int length = name.length();
    String[] candidates = length < names.length ? names[length] : null;
    if (candidates != null) {
      for (int i = 0; i < candidates.length; i++) {
        if (name.equalsIgnoreCase(candidates[i])) {
          return kinds[length][i];
        }
      }
    }
    return otherwise;
  }

  boolean contains(String name) {
    return kind(name, -1) >= 0;
  }
}
