package io.sluice.server;

import java.util.Arrays;
import java.util.Objects;

/**
 * A few header names, each of a kind of the caller's, looked up ignoring case and by length first: most names are
 * found to be none of them without a character compared, and a lookup allocates nothing. Immutable.
 *
 * @param <K> what a name's kind is
 */
final class HeaderNames<K> {

  private static final HeaderNames<?> NONE = new HeaderNames<>(new String[0][], new Object[0][]);

  /** The names by their length, and the kind of each. */
  private final String[][] names;
  private final Object[][] kinds;

  private HeaderNames(String[][] names, Object[][] kinds) {
    this.names = names;
    this.kinds = kinds;
  }

  @SuppressWarnings("unchecked")
  static <K> HeaderNames<K> none() {
    return (HeaderNames<K>) NONE;
  }

  /** These names, as a set: see {@link #contains}. */
  static HeaderNames<Boolean> of(String... names) {
    return HeaderNames.<Boolean>none().with(Boolean.TRUE, names);
  }

  /** These names, of {@code kind}, and those held already. */
  HeaderNames<K> with(K kind, String... more) {
    Objects.requireNonNull(kind, "kind");
    HeaderNames<K> all = this;
    for (String name : more) {
      all = all.with(kind, name);
    }
    return all;
  }

  private HeaderNames<K> with(K kind, String name) {
    int length = name.length();
    String[][] byLength = Arrays.copyOf(names, Math.max(names.length, length + 1));
    Object[][] kindsByLength = Arrays.copyOf(kinds, byLength.length);
    int k = byLength[length] == null ? 0 : byLength[length].length;
    byLength[length] = k == 0 ? new String[1] : Arrays.copyOf(byLength[length], k + 1);
    kindsByLength[length] = k == 0 ? new Object[1] : Arrays.copyOf(kindsByLength[length], k + 1);
    byLength[length][k] = name;
    kindsByLength[length][k] = kind;
    return new HeaderNames<>(byLength, kindsByLength);
  }

  /** The kind of {@code name}, or {@code otherwise} when it is none of these names. */
  @SuppressWarnings("unchecked")
  K kind(String name, K otherwise) {
    int length = name.length();
    String[] candidates = length < names.length ? names[length] : null;
    if (candidates != null) {
      for (int i = 0; i < candidates.length; i++) {
        if (name.equalsIgnoreCase(candidates[i])) {
          return (K) kinds[length][i];
        }
      }
    }
    return otherwise;
  }

  /** Whether {@code name} is one of these. */
  boolean contains(String name) {
    return kind(name, null) != null;
  }
}
