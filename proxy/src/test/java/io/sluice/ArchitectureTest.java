package io.sluice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shape of the proxy's sources, read as text: no package depends on itself through others, no class grows past
 * 400 lines (the protocol parser excepted), and the root package holds only the entry points.
 */
class ArchitectureTest {

  private static final Path SOURCES = Path.of("src/main/java");
  /** A reference to one of our types: in an import, a static import, or a fully qualified name in the code. */
  private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.sluice(?:\\.[a-z][a-z0-9]*)*)\\.[A-Z]");
  private static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
  private static final Set<String> PARSERS = Set.of("ResponseParser.java");

  private static List<Path> sources() {
    try (Stream<Path> files = Files.walk(SOURCES)) {
      return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Each package of ours and the packages of ours it refers to. */
  static Map<String, Set<String>> dependencies(List<Path> files) {
    Map<String, Set<String>> graph = new TreeMap<>();
    for (Path f : files) {
      String text = read(f);
      Matcher pkg = PACKAGE.matcher(text);
      assertTrue(pkg.find(), f + " has no package declaration");
      String from = pkg.group(1);
      Set<String> to = graph.computeIfAbsent(from, k -> new TreeSet<>());
      Matcher ref = REFERENCE.matcher(text.substring(pkg.end()));
      while (ref.find()) {
        if (!ref.group(1).equals(from)) {
          to.add(ref.group(1));
        }
      }
    }
    return graph;
  }

  /** The cycles of the graph, each as the packages on it, found by depth-first search. */
  static List<List<String>> cycles(Map<String, Set<String>> graph) {
    List<List<String>> found = new ArrayList<>();
    Set<String> done = new TreeSet<>();
    for (String start : graph.keySet()) {
      walk(start, graph, new ArrayList<>(), done, found);
    }
    return found;
  }

  private static void walk(String at, Map<String, Set<String>> graph, List<String> path, Set<String> done,
      List<List<String>> found) {
    int seen = path.indexOf(at);
    if (seen >= 0) {
      List<String> cycle = new ArrayList<>(path.subList(seen, path.size()));
      cycle.add(at);
      found.add(cycle);
      return;
    }
    if (done.contains(at)) {
      return;
    }
    path.add(at);
    for (String next : graph.getOrDefault(at, Set.of())) {
      walk(next, graph, path, done, found);
    }
    path.remove(path.size() - 1);
    done.add(at);
  }

  @Test
  void noPackageDependsOnItselfThroughOthers() {
    Map<String, Set<String>> graph = dependencies(sources());
    assertTrue(graph.size() > 10, "the sources were read: " + graph.keySet());
    assertEquals(List.of(), cycles(graph), "package cycles in " + graph);
  }

  @Test
  void theCycleFinderFindsACycle() {
    Map<String, Set<String>> graph = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"));
    assertEquals(List.of(List.of("a", "b", "c", "a")), cycles(new TreeMap<>(graph)));
  }

  @Test
  void noClassIsLongerThan400LinesButTheProtocolParser() {
    List<String> long_ = new ArrayList<>();
    for (Path f : sources()) {
      long lines = read(f).lines().count();
      if (lines > 400 && !PARSERS.contains(f.getFileName().toString())) {
        long_.add(SOURCES.relativize(f) + ": " + lines);
      }
    }
    assertEquals(List.of(), long_);
  }

  @Test
  void theRootPackageHoldsOnlyTheEntryPoints() {
    List<String> root = new ArrayList<>();
    try (Stream<Path> files = Files.list(SOURCES.resolve("io/sluice"))) {
      files.filter(p -> p.toString().endsWith(".java")).forEach(p -> root.add(p.getFileName().toString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertTrue(root.size() <= 3, "classes in io.sluice: " + root);
  }
}
