package io.sluice.ops;

import static io.sluice.ops.Examples.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code docker/}: no Docker engine runs here, so the Dockerfiles are read instruction by instruction and the compose
 * file is parsed and interpolated as compose does it.
 */
class DockerExampleTest {

  private static final String COMPOSE = "docker/compose.yaml";

  private final Map<String, Object> compose = Examples.yaml(COMPOSE);

  /** One Dockerfile instruction: its keyword, upper-cased, and its arguments with continuations joined. */
  record Instruction(String keyword, String args) {
  }

  /** The instructions of each build stage, in order ({@code FROM} first). */
  static List<List<Instruction>> stages(String dockerfile) {
    List<List<Instruction>> stages = new ArrayList<>();
    String joined = dockerfile.replaceAll("(?m)^\\s*#.*\\n", "").replaceAll("\\\\\\n", " ");
    for (String line : joined.split("\\n")) {
      String trimmed = line.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      String[] parts = trimmed.split("\\s+", 2);
      Instruction i = new Instruction(parts[0].toUpperCase(java.util.Locale.ROOT), parts.length > 1 ? parts[1] : "");
      if (i.keyword().equals("FROM")) {
        stages.add(new ArrayList<>());
      }
      if (stages.isEmpty()) {
        throw new AssertionError("an instruction before FROM: " + line);
      }
      stages.get(stages.size() - 1).add(i);
    }
    return stages;
  }

  private static List<String> args(List<Instruction> stage, String keyword) {
    return stage.stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::args).collect(Collectors.toList());
  }

  private static final Pattern VARIABLE = Pattern.compile("\\$(\\$|\\{([A-Za-z_][A-Za-z0-9_]*)((:?[-?])([^}]*))?}"
      + "|([A-Za-z_][A-Za-z0-9_]*))");

  /**
   * Compose's interpolation of one string: {@code $$}, {@code $VAR}, {@code ${VAR}}, {@code ${VAR:-default}},
   * {@code ${VAR-default}}, {@code ${VAR:?error}} and {@code ${VAR?error}} (the colon forms also treat an empty
   * value as unset). A required variable that is missing throws, as {@code docker compose up} refuses to start.
   */
  static String interpolate(String text, Map<String, String> env) {
    Matcher m = VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement;
      if (m.group(1).equals("$")) {
        replacement = "$";
      } else {
        String name = m.group(2) != null ? m.group(2) : m.group(6);
        String value = env.get(name);
        String op = m.group(4);
        boolean unset = value == null || (op != null && op.startsWith(":") && value.isEmpty());
        if (op != null && op.endsWith("?") && unset) {
          throw new IllegalStateException("required variable " + name + " is missing a value: " + m.group(5));
        }
        replacement = op != null && op.endsWith("-") && unset ? m.group(5) : value == null ? "" : value;
      }
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }

  @SuppressWarnings("unchecked")
  static Object interpolateAll(Object node, Map<String, String> env) {
    if (node instanceof String s) {
      return interpolate(s, env);
    }
    if (node instanceof Map<?, ?> m) {
      Map<Object, Object> copy = new LinkedHashMap<>();
      m.forEach((k, v) -> copy.put(k, interpolateAll(v, env)));
      return copy;
    }
    if (node instanceof List<?> l) {
      return l.stream().map(v -> interpolateAll(v, env)).collect(Collectors.toList());
    }
    return node;
  }

  private Map<String, Object> service(Object composeFile, String name) {
    return at(composeFile, "services", name);
  }

  /** The directory of the mount of {@code volume} in a service, from its {@code volume:path[:mode]} entries. */
  private static String mountOf(Map<String, Object> service, String volume) {
    List<String> volumes = at(service, "volumes");
    return volumes.stream().map(v -> v.split(":")).filter(v -> v[0].equals(volume)).map(v -> v[1]).findFirst()
        .orElseThrow(() -> new AssertionError("volume " + volume + " is not mounted in " + service));
  }

  @Test
  void interpolationFollowsCompose() {
    Map<String, String> env = Map.of("A", "a", "E", "");
    assertEquals("a-a-$x-d-d-", interpolate("$A-${A}-$$x-${B:-d}-${E:-d}-${E-d}", env));
    assertThrows(IllegalStateException.class, () -> interpolate("${E:?set E}", env));
    assertEquals("", interpolate("${E?set E}", env));
    assertThrows(IllegalStateException.class, () -> interpolate("${B?set B}", env));
  }

  @Test
  void composeRefusesToStartWithoutAToken() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> interpolateAll(compose, Map.of()));
    assertTrue(e.getMessage().contains("SLUICE_ADMIN_TOKEN"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> interpolateAll(compose, Map.of("SLUICE_ADMIN_TOKEN", "")));

    Object withToken = interpolateAll(compose, Map.of("SLUICE_ADMIN_TOKEN", "s3cret"));
    Map<String, Object> sluice = service(withToken, "sluice");
    assertEquals("s3cret", at(sluice, "environment", "SLUICE_ADMIN_TOKEN"));
    List<String> command = at(sluice, "command");
    String admin = command.get(command.indexOf("--admin") + 1);
    assertFalse(admin.startsWith("127.") || admin.startsWith("localhost") || admin.startsWith("unix:"),
        "the token is what lets the admin API listen beyond loopback: " + admin);
  }

  @Test
  void noDefaultTokenAnywhereInDocker() {
    for (String file : List.of(COMPOSE, "docker/Dockerfile", "docker/app/Dockerfile")) {
      String text = Examples.read(file);
      assertFalse(text.toLowerCase(java.util.Locale.ROOT).contains("change-me"), file);
      assertFalse(text.matches("(?s).*\\$\\{SLUICE_ADMIN_TOKEN:?-.*"), file + " gives the token a default");
      assertFalse(text.matches("(?s).*\\bENV\\s+SLUICE_ADMIN_TOKEN.*"), file + " bakes a token into the image");
    }
  }

  @Test
  void theAppServesPackagedUwsgiOnTheVolumeSluiceConnectsTo() {
    Map<String, Object> app = service(compose, "app");
    Map<String, Object> sluice = service(compose, "sluice");
    String context = (String) app.get("build");
    String appDockerfile = Examples.read("docker/" + context.replaceFirst("^\\./", "") + "/Dockerfile");
    String text = String.join("\n", args(stages(appDockerfile).get(0), "RUN"));
    assertFalse(text.matches("(?s).*pip3? install[^\\n]*\\buwsgi\\b.*"),
        "uWSGI is published as source only: pip needs a compiler to install it");
    assertTrue(text.contains("pyuwsgi")
            || text.contains("apt-get install") && text.contains("uwsgi-core") && text.contains("uwsgi-plugin-python3"),
        "uWSGI from Debian's packages or the pyuwsgi wheel");
    assertTrue(args(stages(appDockerfile).get(0), "FROM").get(0).startsWith("debian:"));

    Matcher socket = Pattern.compile("(?m)^socket\\s*=\\s*(\\S+)").matcher(Examples.read("docker/app/uwsgi.ini"));
    assertTrue(socket.find(), "docker/app/uwsgi.ini has no socket");
    List<String> command = at(sluice, "command");
    String backend = command.get(command.indexOf("--backend") + 1);
    assertEquals("unix:" + socket.group(1), backend.substring(backend.indexOf('=') + 1));
    assertEquals("uwsgi", command.get(command.indexOf("--protocol") + 1));

    String dir = socket.group(1).substring(0, socket.group(1).lastIndexOf('/'));
    Map<String, Object> volumes = at(compose, "volumes");
    String shared = volumes.keySet().stream().filter(v -> dir.equals(mountOf(app, v))).findFirst()
        .orElseThrow(() -> new AssertionError("the socket's directory " + dir + " is on no named volume of app"));
    assertEquals(dir, mountOf(sluice, shared));
  }

  @Test
  void sluiceGetsSomaxconnDescriptorsAndTimeToDrain() {
    Map<String, Object> sluice = service(compose, "sluice");
    assertTrue(Integer.parseInt(String.valueOf((Object) at(sluice, "sysctls", "net.core.somaxconn"))) > 0);
    assertTrue(Integer.parseInt(String.valueOf((Object) at(sluice, "ulimits", "nofile"))) >= 65536);
    List<String> command = at(sluice, "command");
    assertFalse(command.contains("--drain-timeout"), "update the check below to that value");
    Duration drain = Examples.duration(at(Examples.yaml("conf/sluice.yaml"), "shutdown", "drainTimeout"));
    Duration grace = Examples.duration(at(sluice, "stop_grace_period"));
    assertTrue(grace.compareTo(drain.plusSeconds(5)) >= 0, "stop_grace_period " + grace + " vs drain " + drain);
  }

  @Test
  void theImageRunsTheReleaseAsAnUnprivilegedUserWithAHealthCheck() {
    Map<String, Object> build = at(service(compose, "sluice"), "build");
    assertEquals("docker/Dockerfile", build.get("dockerfile"));
    List<List<Instruction>> stages = stages(Examples.read("docker/Dockerfile"));
    assertTrue(String.join(" ", args(stages.get(0), "RUN")).contains("tar -xzf dist/target/sluice-"),
        "the build stage unpacks the release archive");
    List<Instruction> image = stages.get(stages.size() - 1);

    List<String> users = args(image, "USER");
    assertFalse(users.isEmpty(), "no USER: the image runs as root");
    String user = users.get(users.size() - 1).split(":")[0];
    assertNotEquals("root", user);
    assertNotEquals("0", user);

    int archive = -1;
    int unprivileged = -1;
    for (int i = 0; i < image.size(); i++) {
      Instruction in = image.get(i);
      archive = in.keyword().equals("RUN") && in.args().equals("/opt/sluice/bin/sluice --version") ? i : archive;
      unprivileged = in.keyword().equals("USER") && unprivileged < 0 ? i : unprivileged;
    }
    assertTrue(archive >= 0 && archive < unprivileged, "the class archive is built (a first run) before USER");

    List<String> entrypoint = args(image, "ENTRYPOINT");
    assertEquals(List.of("[\"/opt/sluice/bin/sluice\"]"), entrypoint);
    assertTrue(args(image, "COPY").stream().anyMatch(c -> c.matches("--from=\\S+ /out /opt/sluice")),
        "the unpacked archive is copied to /opt/sluice");

    List<String> checks = args(image, "HEALTHCHECK");
    assertEquals(1, checks.size());
    Matcher cmd = Pattern.compile("\\bCMD\\s+(\\S+)\\s+(.*)").matcher(checks.get(0));
    assertTrue(cmd.find(), checks.get(0));
    String tool = cmd.group(1);
    assertTrue(args(image, "RUN").stream().anyMatch(r -> r.contains("command -v " + tool)),
        "the build fails when " + tool + " is missing from the base image");
    Map<String, String> env = new HashMap<>();
    for (String e : args(image, "ENV")) {
      String[] kv = e.split("=", 2);
      env.put(kv[0], kv[1]);
    }
    String command = interpolate(cmd.group(2).replace("\"", ""), env);
    Matcher url = Pattern.compile("http://\\S+").matcher(command);
    assertTrue(url.find(), command);
    URI health = URI.create(url.group());
    assertEquals("/healthz", health.getPath());
    String admin = at(Examples.yaml("conf/sluice.yaml"), "admin", "address");
    assertEquals(admin, health.getHost() + ":" + health.getPort(), "the image's config puts the admin API elsewhere");
    assertTrue(args(image, "COPY").stream().anyMatch(c -> c.endsWith("/conf/sluice.yaml /etc/sluice/sluice.yaml")));
    assertEquals(List.of("[\"--config\", \"/etc/sluice/sluice.yaml\"]"), args(image, "CMD"));
  }
}
