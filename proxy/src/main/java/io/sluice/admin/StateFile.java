package io.sluice.admin;

import io.sluice.config.BackendConfig;
import io.sluice.config.ConfigException;
import io.sluice.config.LimitSetting;
import io.sluice.config.ListenerConfig;
import io.sluice.config.QueueConfig;
import io.sluice.config.SluiceConfig;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code admin.stateFile}: the limits last set over the admin API, kept across restarts. It holds the document of
 * {@code GET /api/v1/limits}; at start its values replace the configuration's (a backlog in it applies to every
 * listener).
 *
 * <p>Blocking file I/O: {@link #overlay} runs at start-up, {@link #write} on a worker thread.
 */
public final class StateFile {

  private static final System.Logger LOG = System.getLogger(StateFile.class.getName());

  private final Path path;

  public StateFile(Path path) {
    this.path = Objects.requireNonNull(path, "path");
  }

  public Path path() {
    return path;
  }

  /**
   * The configuration with the limits its state file keeps, or the configuration itself when it names no state file
   * or the file does not exist yet. Also checks that the file's directory exists and is writable, so that the first
   * change over the API cannot fail on it.
   *
   * @throws ConfigException naming the file and what is wrong with it or its place, in one line: a setting Sluice
   *                         cannot start with
   * @throws IOException     naming the file, when it cannot be read
   */
  public static SluiceConfig overlay(SluiceConfig config) throws IOException {
    if (config.admin().stateFile().isEmpty()) {
      return config;
    }
    StateFile file = new StateFile(config.admin().stateFile().get());
    file.checkDirectory();
    String text;
    try {
      text = Files.readString(file.path, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return config;
    } catch (IOException e) {
      throw new IOException(file.path + ": cannot read it: " + reason(e), e);
    }
    LimitsPatch saved = file.parse(text, config);
    SluiceConfig next = apply(config, saved);
    LOG.log(Level.INFO, "limits from the state file " + file.path + " replace the configuration's: "
        + LimitsPatch.render(saved.applyTo(limitsOf(config))).encode());
    return next;
  }

  /**
   * Replaces the file with {@code limits}, atomically: a temporary file in the same directory is written and
   * synced, renamed over the file, then the directory is synced, so a crash leaves the old file or the new one.
   */
  public void write(Limits limits) throws IOException {
    Path absolute = path.toAbsolutePath();
    Path dir = absolute.getParent();
    byte[] bytes = (LimitsPatch.render(limits).encodePrettily() + "\n").getBytes(StandardCharsets.UTF_8);
    Path tmp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private void checkDirectory() {
    Path dir = path.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      throw new ConfigException(path + ": the directory " + dir + " does not exist");
    }
    if (!Files.isWritable(dir)) {
      throw new ConfigException(path + ": the directory " + dir + " is not writable");
    }
  }

  private LimitsPatch parse(String text, SluiceConfig config) {
    Object document;
    try {
      document = Json.decodeValue(text);
    } catch (DecodeException e) {
      throw new ConfigException(path + ": not valid JSON: " + LimitsApi.jsonProblem(e.getMessage())
          + "; fix it or remove it to start from the configuration's limits");
    }
    List<String> names = new ArrayList<>();
    for (BackendConfig b : config.backends()) {
      names.add(b.name());
    }
    try {
      return LimitsPatch.parse(document, names);
    } catch (InvalidLimitsException e) {
      String why = e.status() == 404
          ? e.getMessage().replace("no such backend", "no such backend in the configuration")
          : e.getMessage();
      throw new ConfigException(path + ": " + why + "; fix it or remove it to start from the configuration's "
          + "limits");
    }
  }

  private static SluiceConfig apply(SluiceConfig config, LimitsPatch saved) {
    List<ListenerConfig> listeners = new ArrayList<>();
    for (ListenerConfig l : config.listeners()) {
      listeners.add(l.withBacklog(saved.backlog().orElse(l.backlog())));
    }
    List<BackendConfig> backends = new ArrayList<>();
    for (BackendConfig b : config.backends()) {
      backends.add(b.withLimit(saved.backends().getOrDefault(b.name(), b.limit())));
    }
    QueueConfig queue = config.queue();
    queue = queue.withMax(saved.queueMax().orElse(queue.max()));
    queue = queue.withTimeout(saved.queueTimeout().orElse(queue.timeout()));
    queue = queue.withDiscipline(saved.discipline().orElse(queue.discipline()));
    queue = queue.withTarget(saved.queueTarget().orElse(queue.target()));
    return new SluiceConfig(listeners, queue, backends, config.admin(), config.buffers(), config.drainTimeout(),
        config.clients(), config.forwarding());
  }

  private static Limits limitsOf(SluiceConfig config) {
    return Limits.of(config);
  }

  private static String reason(IOException e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : firstLine(e.getMessage());
  }

  /** Jackson's messages quote the input over several lines; one line says enough. */
  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    String line = message.strip().lines().findFirst().orElse("unreadable");
    return line.replaceAll("\\p{Cntrl}", "?");
  }
}
