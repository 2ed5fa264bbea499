package io.sluice.ops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The operations files of the repository ({@code conf/}, {@code docker/}) as the tests read them: found from the
 * module's directory, parsed as JSON or YAML (every document of a file), and walked for their strings.
 */
final class Examples {

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  private Examples() {
  }

  /** The repository's root: the nearest directory above the working directory that holds {@code conf/sluice.yaml}. */
  static Path root() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("conf/sluice.yaml")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no conf/sluice.yaml above " + Path.of("").toAbsolutePath());
  }

  static Path file(String relative) {
    Path p = root().resolve(relative);
    if (!Files.isRegularFile(p)) {
      throw new AssertionError(relative + " does not exist");
    }
    return p;
  }

  static String read(String relative) {
    try {
      return Files.readString(file(relative));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every document of a YAML file, as maps, lists and scalars (snakeyaml's safe constructor). */
  static List<Object> yamlDocuments(String relative) {
    return yamlDocumentsOf(read(relative));
  }

  static List<Object> yamlDocumentsOf(String text) {
    List<Object> docs = new ArrayList<>();
    for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(text)) {
      if (doc != null) {
        docs.add(doc);
      }
    }
    return docs;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> yaml(String relative) {
    List<Object> docs = yamlDocuments(relative);
    if (docs.size() != 1 || !(docs.get(0) instanceof Map)) {
      throw new AssertionError(relative + ": expected one YAML mapping, found " + docs.size() + " documents");
    }
    return (Map<String, Object>) docs.get(0);
  }

  static JsonObject json(String relative) {
    return new JsonObject(read(relative));
  }

  /** The files whose strings name metrics: every JSON and YAML file under {@code conf/} and {@code docker/}. */
  static List<String> structuredFiles() {
    Path root = root();
    try (Stream<Path> conf = Files.walk(root.resolve("conf")); Stream<Path> docker = Files.walk(root.resolve("docker"))) {
      return Stream.concat(conf, docker)
          .filter(Files::isRegularFile)
          .map(p -> root.relativize(p).toString())
          .filter(p -> p.endsWith(".json") || p.endsWith(".yaml") || p.endsWith(".yml"))
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every string value (and map key) of a file, parsed by its extension. */
  static List<String> strings(String relative) {
    List<String> out = new ArrayList<>();
    if (relative.endsWith(".json")) {
      walk(json(relative), out::add);
    } else {
      yamlDocuments(relative).forEach(doc -> walk(doc, out::add));
    }
    return out;
  }

  static void walk(Object node, Consumer<String> strings) {
    if (node instanceof String s) {
      strings.accept(s);
    } else if (node instanceof JsonObject o) {
      o.getMap().forEach((k, v) -> {
        strings.accept(k);
        walk(v, strings);
      });
    } else if (node instanceof JsonArray a) {
      a.forEach(v -> walk(v, strings));
    } else if (node instanceof Map<?, ?> m) {
      m.forEach((k, v) -> {
        walk(k, strings);
        walk(v, strings);
      });
    } else if (node instanceof List<?> l) {
      l.forEach(v -> walk(v, strings));
    }
  }

  /** A duration as Sluice's configuration and Docker write it: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}. */
  static Duration duration(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new AssertionError("not a duration: \"" + text + "\"");
    }
    long n = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "ms":
        return Duration.ofMillis(n);
      case "s":
        return Duration.ofSeconds(n);
      case "m":
        return Duration.ofMinutes(n);
      default:
        return Duration.ofHours(n);
    }
  }

  /** The value at a path of map keys, failing with the path when a step is missing or not a map. */
  @SuppressWarnings("unchecked")
  static <T> T at(Object node, String... keys) {
    Object at = node;
    StringBuilder path = new StringBuilder();
    for (String key : keys) {
      path.append('.').append(key);
      if (!(at instanceof Map)) {
        throw new AssertionError(path + ": not a mapping");
      }
      at = ((Map<String, Object>) at).get(key);
      if (at == null) {
        throw new AssertionError(path + ": missing");
      }
    }
    return (T) at;
  }
}
