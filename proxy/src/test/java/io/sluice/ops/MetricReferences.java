package io.sluice.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks the Sluice metric names that PromQL expressions (or any other strings) mention against the series a Sluice
 * actually exports. Names are the series names of the exposition: {@code sluice_requests_total},
 * {@code sluice_queue_wait_seconds_bucket}; a histogram's family name alone selects nothing and is reported.
 */
final class MetricReferences {

  /** A Sluice series name not preceded by a name character (so {@code my_sluice_x} is not one). */
  static final Pattern NAME = Pattern.compile("(?<![A-Za-z0-9_:])sluice_[A-Za-z0-9_:]*");
  /** A counter-only function applied straight to a selector. */
  private static final Pattern RATE = Pattern.compile(
      "\\b(rate|irate|increase)\\s*\\(\\s*(sluice_[A-Za-z0-9_:]*)");

  private MetricReferences() {
  }

  static List<String> names(String text) {
    List<String> names = new ArrayList<>();
    Matcher m = NAME.matcher(text);
    while (m.find()) {
      names.add(m.group());
    }
    return names;
  }

  /**
   * What is wrong with {@code text}'s references, given the exported series and their types (sample name to
   * {@code counter}, {@code gauge}, {@code histogram}...): one line per problem, empty when none.
   */
  static List<String> problems(String where, String text, Map<String, String> exported) {
    List<String> problems = new ArrayList<>();
    for (String name : names(text)) {
      if (!exported.containsKey(name)) {
        problems.add(where + ": " + name + " is not a series Sluice exports, in: " + text);
      }
    }
    Matcher m = RATE.matcher(text);
    while (m.find()) {
      String type = exported.get(m.group(2));
      if (type != null && !type.equals("counter") && !type.equals("histogram")) {
        problems.add(where + ": " + m.group(1) + "() of " + m.group(2) + ", a " + type + " (only counters grow), in: "
            + text);
      }
    }
    return problems;
  }
}
