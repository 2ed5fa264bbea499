package io.sluice.metrics;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of Prometheus's text exposition format 0.0.4, for tests: every line must be a {@code # HELP}, a
 * {@code # TYPE} or a sample; names, label names, escapes and values must be well formed; a family's {@code TYPE}
 * comes once, before its samples, which are contiguous; a histogram's buckets rise in {@code le}, are cumulative,
 * and end with {@code +Inf} equal to {@code _count}, with a {@code _sum}. Throws {@link IllegalArgumentException}
 * naming the line on any violation.
 *
 * <p>{@link #officialParser} runs the text through the reference Python client's parser as well, where installed.
 */
public final class PrometheusText {

  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Pattern VALUE = Pattern.compile("[+-]?(Inf|NaN|[0-9]*\\.?[0-9]+([eE][+-]?[0-9]+)?"
      + "|[0-9]+\\.?([eE][+-]?[0-9]+)?)");
  private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");
  private static final Path PYTHON = Path.of("/usr/bin/python3");

  /** One sample line. */
  public record Sample(String name, Map<String, String> labels, double value) {
  }

  private final Map<String, String> types = new LinkedHashMap<>();
  private final Map<String, String> help = new HashMap<>();
  private final List<Sample> samples = new ArrayList<>();

  private PrometheusText() {
  }

  public static PrometheusText parse(String text) {
    PrometheusText p = new PrometheusText();
    p.read(text);
    p.checkHistograms();
    return p;
  }

  public Map<String, String> types() {
    return types;
  }

  public List<Sample> samples() {
    return samples;
  }

  public String help(String family) {
    return help.get(family);
  }

  /** The value of the one sample with this name and these labels (others ignored). */
  public double value(String name, String... labelPairs) {
    List<Double> found = new ArrayList<>();
    for (Sample s : samples) {
      if (s.name.equals(name) && hasLabels(s, labelPairs)) {
        found.add(s.value);
      }
    }
    if (found.size() != 1) {
      throw new AssertionError(found.size() + " samples " + name + " " + List.of(labelPairs));
    }
    return found.get(0);
  }

  private static boolean hasLabels(Sample s, String... pairs) {
    for (int i = 0; i < pairs.length; i += 2) {
      if (!pairs[i + 1].equals(s.labels.get(pairs[i]))) {
        return false;
      }
    }
    return true;
  }

  private void read(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("the last line has no line feed");
    }
    String current = null;
    Set<String> closed = new HashSet<>();
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isEmpty()) {
        continue;
      }
      String where = "line " + n + ": " + line;
      if (line.startsWith("#")) {
        String[] parts = line.split(" ", 4);
        if (parts.length >= 3 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
          String family = parts[2];
          require(NAME.matcher(family).matches(), "bad metric name", where);
          if (parts[1].equals("TYPE")) {
            require(parts.length == 4 && TYPES.contains(parts[3]), "bad type", where);
            require(!types.containsKey(family), "second TYPE for " + family, where);
            require(samples.stream().noneMatch(s -> family(s.name).equals(family)), "TYPE after samples", where);
            types.put(family, parts[3]);
          } else {
            require(help.put(family, parts.length == 4 ? parts[3] : "") == null, "second HELP", where);
          }
          if (!family.equals(current)) {
            require(!closed.contains(family), "family " + family + " is split", where);
            if (current != null) {
              closed.add(current);
            }
            current = family;
          }
        }
        continue;
      }
      Sample s = sample(line, where);
      String family = family(s.name);
      if (!family.equals(current)) {
        require(!closed.contains(family), "samples of " + family + " are not contiguous", where);
        if (current != null) {
          closed.add(current);
        }
        current = family;
      }
      samples.add(s);
    }
  }

  /** The family a sample belongs to: {@code x_bucket}, {@code x_sum}, {@code x_count} are {@code x}'s if typed so. */
  private String family(String name) {
    for (String suffix : List.of("_bucket", "_sum", "_count")) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        String type = types.get(base);
        if ("histogram".equals(type) || ("summary".equals(type) && !suffix.equals("_bucket"))) {
          return base;
        }
      }
    }
    return name;
  }

  private static Sample sample(String line, String where) {
    Matcher m = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)").matcher(line);
    require(m.find(), "bad sample name", where);
    String name = m.group(1);
    int i = name.length();
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (line.charAt(i) != '}') {
        int eq = line.indexOf('=', i);
        require(eq > i, "bad label", where);
        String label = line.substring(i, eq);
        require(LABEL_NAME.matcher(label).matches(), "bad label name " + label, where);
        require(line.charAt(eq + 1) == '"', "label value not quoted", where);
        StringBuilder value = new StringBuilder();
        int j = eq + 2;
        for (; line.charAt(j) != '"'; j++) {
          char c = line.charAt(j);
          if (c == '\\') {
            char e = line.charAt(++j);
            require(e == '\\' || e == '"' || e == 'n', "bad escape", where);
            value.append(e == 'n' ? '\n' : e);
          } else {
            value.append(c);
          }
        }
        require(labels.put(label, value.toString()) == null, "label " + label + " twice", where);
        i = j + 1;
        if (line.charAt(i) == ',') {
          i++;
        } else {
          require(line.charAt(i) == '}', "expected , or }", where);
        }
      }
      i++;
    }
    require(i < line.length() && line.charAt(i) == ' ', "no space before the value", where);
    String[] rest = line.substring(i + 1).split(" ");
    require(rest.length == 1 || (rest.length == 2 && rest[1].matches("-?[0-9]+")), "bad value or timestamp", where);
    require(VALUE.matcher(rest[0]).matches(), "bad value " + rest[0], where);
    String v = rest[0];
    double value = v.endsWith("Inf") ? (v.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY)
        : v.endsWith("NaN") ? Double.NaN : Double.parseDouble(v);
    return new Sample(name, labels, value);
  }

  private void checkHistograms() {
    for (Map.Entry<String, String> t : types.entrySet()) {
      if (!t.getValue().equals("histogram")) {
        continue;
      }
      String h = t.getKey();
      Map<Map<String, String>, List<Sample>> bySeries = new LinkedHashMap<>();
      for (Sample s : samples) {
        if (s.name.equals(h + "_bucket")) {
          Map<String, String> rest = new LinkedHashMap<>(s.labels);
          require(rest.remove("le") != null, "bucket without le", h);
          bySeries.computeIfAbsent(rest, k -> new ArrayList<>()).add(s);
        }
      }
      require(!bySeries.isEmpty(), "histogram without buckets", h);
      for (Map.Entry<Map<String, String>, List<Sample>> e : bySeries.entrySet()) {
        double le = Double.NEGATIVE_INFINITY;
        double count = -1;
        for (Sample b : e.getValue()) {
          String text = b.labels.get("le");
          double bound = text.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(text);
          require(bound > le, "buckets not rising at le=" + text, h);
          require(b.value >= count, "buckets not cumulative at le=" + text, h);
          le = bound;
          count = b.value;
        }
        require(le == Double.POSITIVE_INFINITY, "no +Inf bucket", h);
        String[] pairs = e.getKey().entrySet().stream().flatMap(x -> java.util.stream.Stream.of(x.getKey(),
            x.getValue())).toArray(String[]::new);
        require(value(h + "_count", pairs) == count, "+Inf bucket differs from _count", h);
        value(h + "_sum", pairs);
      }
    }
  }

  private static void require(boolean ok, String what, String where) {
    if (!ok) {
      throw new IllegalArgumentException(what + " (" + where + ")");
    }
  }

  /** Whether the reference parser (Debian's python3-prometheus-client) is installed. */
  public static boolean officialParserInstalled() {
    try {
      return run("import prometheus_client.parser", "").isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Parses the text with the reference Python client's parser; returns its family names and types, one
   * {@code name type} per line, or throws with its error.
   */
  public static String officialParser(String text) throws IOException {
    return run("import sys\n"
        + "from prometheus_client.parser import text_string_to_metric_families\n"
        + "for f in text_string_to_metric_families(sys.stdin.read()):\n"
        + "    print(f.name, f.type, len(f.samples))\n", text);
  }

  private static String run(String program, String input) throws IOException {
    if (!Files.isExecutable(PYTHON)) {
      throw new IOException(PYTHON + " is missing");
    }
    Process p = new ProcessBuilder(PYTHON.toString(), "-c", program).redirectErrorStream(true).start();
    p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("the Python parser did not finish");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    if (p.exitValue() != 0) {
      throw new IOException("the Python parser failed: " + out);
    }
    return out;
  }
}
