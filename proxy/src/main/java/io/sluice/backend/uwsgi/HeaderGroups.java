package io.sluice.backend.uwsgi;

/**
 * Groups header lines by name, ignoring case, for an encoder that sends one variable per name: which lines open a
 * group, in the order they came, and which line of the same name follows each.
 *
 * <p>A stable merge sort of the line indices by name finds the groups: O(n log n) comparisons whatever the names, where
 * checking each name against the ones seen before is O(n²), and a hash table can be flooded with names chosen to
 * collide. Not thread-safe; one per encoding.
 */
final class HeaderGroups {

  private final int[] next;
  private final boolean[] continues;

  /** Groups the first {@code count} of {@code names}. */
  HeaderGroups(String[] names, int count) {
    int[] order = new int[count];
    for (int i = 0; i < count; i++) {
      order[i] = i;
    }
    sort(names, order, new int[count], 0, count);
    next = new int[count];
    continues = new boolean[count];
    for (int k = 0; k < count; k++) {
      next[order[k]] = -1;
    }
    // Stable: within a group the indices are in the order the lines came.
    for (int k = 1; k < count; k++) {
      if (names[order[k]].equalsIgnoreCase(names[order[k - 1]])) {
        next[order[k - 1]] = order[k];
        continues[order[k]] = true;
      }
    }
  }

  /** Whether line {@code i} is the first of its name. */
  boolean opens(int i) {
    return !continues[i];
  }

  /** The next line with the name of line {@code i}, or -1. */
  int next(int i) {
    return next[i];
  }

  private static void sort(String[] names, int[] a, int[] tmp, int from, int to) {
    if (to - from <= 12) {
      for (int i = from + 1; i < to; i++) {
        int x = a[i];
        int j = i - 1;
        while (j >= from && names[a[j]].compareToIgnoreCase(names[x]) > 0) {
          a[j + 1] = a[j];
          j--;
        }
        a[j + 1] = x;
      }
      return;
    }
    int mid = (from + to) >>> 1;
    sort(names, a, tmp, from, mid);
    sort(names, a, tmp, mid, to);
    if (names[a[mid - 1]].compareToIgnoreCase(names[a[mid]]) <= 0) {
      return;
    }
    System.arraycopy(a, from, tmp, from, to - from);
    int i = from;
    int j = mid;
    for (int k = from; k < to; k++) {
      if (j >= to || i < mid && names[tmp[i]].compareToIgnoreCase(names[tmp[j]]) <= 0) {
        a[k] = tmp[i++];
      } else {
        a[k] = tmp[j++];
      }
    }
  }
}
