package io.sluice.config;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads Sluice's YAML configuration file into {@link FileSettings}.
 *
 * <p>Every scalar is taken as text, {@code ${NAME}} references are replaced (see {@link EnvSubstitution}), and the
 * text is parsed by Sluice's own parsers, so YAML 1.1's implicit types never apply: {@code off} stays the word off
 * and {@code 010} is ten. A key with no value at all ({@code queue:} followed by nothing) is the same as an absent key.
 * Every error is a {@link ConfigException} naming the file, the line and the dotted key, such as
 * {@code backends[0].limit} (list items are counted from 0).
 */
final class YamlConfigFile {

  private static final List<String> TOP_KEYS =
      List.of("listen", "queue", "backends", "admin", "buffers", "clients", "forwarding", "shutdown");
  private static final List<String> LISTEN_KEYS = List.of("address", "backlog", "proxyProtocol");
  private static final List<String> QUEUE_KEYS = List.of("max", "timeout", "discipline", "target");
  private static final List<String> BACKEND_KEYS =
      List.of("name", "address", "protocol", "limit", "bufferSize", "maxVars", "connectTimeout", "timeout");
  private static final List<String> ADMIN_KEYS = List.of("address", "token", "tokenFile", "stateFile");
  private static final List<String> BUFFERS_KEYS = List.of("memory", "maxBody", "tempDir", "memoryTotal", "disk");
  private static final List<String> SHUTDOWN_KEYS = List.of("drainTimeout");
  private static final List<String> CLIENTS_KEYS =
      List.of("idleTimeout", "bodyTimeout", "bodyMinRate", "sendTimeout", "heldSlotTimeout",
          "trustedProxies");
  private static final List<String> FORWARDING_KEYS = List.of("requestStart");

  private final String file;
  private final Map<String, String> env;

  private YamlConfigFile(String file, Map<String, String> env) {
    this.file = file;
    this.env = env;
  }

  /**
   * Reads and validates the file; errors name it as {@code path} was written.
   *
   * @param env the environment for {@code ${NAME}} references
   * @throws ConfigException when the file cannot be read or is not a valid configuration
   */
  static FileSettings load(Path path, Map<String, String> env) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (IOException e) {
      throw new ConfigException("cannot read " + path + ": " + reason(e));
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new ConfigException(path + ": not UTF-8 text (expected: a YAML file in UTF-8)");
    }
    return parse(path.toString(), text, env);
  }

  /**
   * Validates configuration text.
   *
   * @param file what errors call the file
   * @throws ConfigException when it is not a valid configuration
   */
  static FileSettings parse(String file, String text, Map<String, String> env) {
    return new YamlConfigFile(file, env).read(text);
  }

  private FileSettings read(String text) {
    Node root;
    try {
      root = new Yaml(new LoaderOptions()).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String context = e.getContext() != null ? e.getContext() + ": " : "";
      throw new ConfigException(file + ":" + (mark == null ? 1 : mark.getLine() + 1) + ": invalid YAML: "
          + context + e.getProblem());
    } catch (YAMLException e) {
      throw new ConfigException(file + ": invalid YAML: " + e.getMessage());
    }
    if (root == null || isAbsent(root)) {
      throw new ConfigException(file + ":1: the file is empty (expected: a mapping with keys " + join(TOP_KEYS) + ")");
    }
    Map<String, At> top = new At(root, "").mapping(TOP_KEYS);

    At listen = top.get("listen");
    List<ListenerConfig> listeners = listen == null ? FileSettings.DEFAULT_LISTENERS : listeners(listen);
    QueueConfig queue = queue(top.get("queue"));
    At backends = top.get("backends");
    List<BackendConfig> backendList = backends == null ? List.of() : backends(backends);

    Map<String, At> admin = mapping(top.get("admin"), ADMIN_KEYS);
    At adminAddress = admin.get("address");
    Optional<String> token = optional(admin, "token", "a token", t -> t);
    if (token.isPresent() && admin.containsKey("tokenFile")) {
      throw admin.get("tokenFile").error("given with admin.token (expected: one of token and tokenFile)");
    }
    AdminConfig adminConfig = new AdminConfig(
        adminAddress == null
            ? Optional.of(AdminConfig.DEFAULT_ADDRESS)
            : adminAddress.parse(Values.ADMIN_FORMS, Values::adminAddress),
        token.or(() -> optional(admin, "tokenFile", Values.TOKEN_FILE_FORMS, Values::tokenFile)),
        optional(admin, "stateFile", Values.PATH_FORMS, Values::path));
    String adminOrigin = adminAddress == null ? "--admin" : adminAddress.where();

    Map<String, At> buffers = mapping(top.get("buffers"), BUFFERS_KEYS);
    BufferConfig defaults = BufferConfig.defaults();
    int memory = get(buffers, "memory", Values.MEMORY_FORMS, Values::memory, defaults.memory());
    At memoryTotal = buffers.get("memoryTotal");
    long total = get(buffers, "memoryTotal", Sizes.FORMS, Sizes::parse, Math.max(memory, defaults.memoryTotal()));
    if (total < memory) {
      throw memoryTotal.error(total + " bytes is below buffers.memory, " + memory + " (expected: at least one body's "
          + "share)");
    }
    BufferConfig bufferConfig = new BufferConfig(memory,
        get(buffers, "maxBody", Sizes.FORMS, Sizes::parse, defaults.maxBody()),
        get(buffers, "tempDir", Values.PATH_FORMS, Values::path, defaults.tempDir()),
        total,
        get(buffers, "disk", Sizes.FORMS, Sizes::parse, defaults.disk()));

    Map<String, At> shutdown = mapping(top.get("shutdown"), SHUTDOWN_KEYS);
    Duration drainTimeout =
        get(shutdown, "drainTimeout", Durations.FORMS, Durations::parse, SluiceConfig.DEFAULT_DRAIN_TIMEOUT);

    Map<String, At> clients = mapping(top.get("clients"), CLIENTS_KEYS);
    ClientConfig d = ClientConfig.DEFAULTS;
    At trusted = clients.get("trustedProxies");
    ClientConfig clientConfig = new ClientConfig(
        get(clients, "idleTimeout", Durations.FORMS, Durations::parse, d.idleTimeout()),
        get(clients, "bodyTimeout", Durations.FORMS, Durations::parse, d.bodyTimeout()),
        get(clients, "bodyMinRate", Values.RATE_FORMS, Sizes::parse, d.bodyMinRate()),
        get(clients, "sendTimeout", Values.POSITIVE_DURATION_FORMS, Values::positiveDuration, d.sendTimeout()),
        get(clients, "heldSlotTimeout", Values.POSITIVE_DURATION_FORMS, Values::positiveDuration,
            d.heldSlotTimeout()),
        trusted == null ? List.of()
            : trusted.list("a list of " + Cidr.FORMS).stream().map(c -> c.parse(Cidr.FORMS, Cidr::parse)).toList());

    Map<String, At> forwarding = mapping(top.get("forwarding"), FORWARDING_KEYS);
    ForwardingConfig forwardingConfig = new ForwardingConfig(
        get(forwarding, "requestStart", Values.BOOLEAN_FORMS, Values::bool, ForwardingConfig.DEFAULTS.requestStart()));

    return new FileSettings(listeners, queue, backendList, adminConfig, adminOrigin, bufferConfig, drainTimeout,
        clientConfig, forwardingConfig);
  }

  private List<ListenerConfig> listeners(At listen) {
    List<At> items = listen.list("a list of addresses or of mappings with keys " + join(LISTEN_KEYS));
    if (items.isEmpty()) {
      throw listen.error("an empty list (expected: at least one address, " + Address.FORMS + ")");
    }
    List<ListenerConfig> listeners = new ArrayList<>();
    for (At item : items) {
      if (item.node instanceof ScalarNode) {
        listeners.add(new ListenerConfig(item.parse(Address.FORMS, Address::parse), MaxOr.MAX));
      } else {
        Map<String, At> fields = item.mapping(LISTEN_KEYS);
        listeners.add(new ListenerConfig(
            required(item, fields, "address", Address.FORMS).parse(Address.FORMS, Address::parse),
            get(fields, "backlog", MaxOr.FORMS, MaxOr::parse, MaxOr.MAX),
            get(fields, "proxyProtocol", Values.BOOLEAN_FORMS, Values::bool, false)));
      }
    }
    return listeners;
  }

  private QueueConfig queue(At queue) {
    Map<String, At> fields = mapping(queue, QUEUE_KEYS);
    return new QueueConfig(
        get(fields, "max", MaxOr.FORMS, MaxOr::parse, MaxOr.MAX),
        get(fields, "timeout", Values.POSITIVE_DURATION_FORMS, Values::positiveDuration, QueueConfig.DEFAULT_TIMEOUT),
        get(fields, "discipline", QueueDiscipline.FORMS, QueueDiscipline::parse, QueueConfig.DEFAULT_DISCIPLINE),
        get(fields, "target", Values.POSITIVE_DURATION_FORMS, Values::positiveDuration, QueueConfig.DEFAULT_TARGET));
  }

  private List<BackendConfig> backends(At backends) {
    List<At> items = backends.list("a list of mappings with keys " + join(BACKEND_KEYS));
    List<BackendConfig> result = new ArrayList<>();
    Map<String, String> itemByName = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      At item = items.get(i);
      Map<String, At> fields = item.mapping(BACKEND_KEYS);
      At nameAt = fields.get("name");
      String name = nameAt == null ? Values.backendName(i) : nameAt.parse(Values.NAME_FORMS, Values::backendName);
      BackendConfig backend = new BackendConfig(
          name,
          required(item, fields, "address", Address.BACKEND_FORMS).parse(Address.BACKEND_FORMS, Address::parseBackend),
          get(fields, "protocol", Protocol.FORMS, Protocol::parse, Protocol.HTTP),
          get(fields, "limit", LimitSetting.FORMS, LimitSetting::parse, LimitSetting.AUTO),
          get(fields, "bufferSize", Values.BUFFER_SIZE_FORMS, Values::bufferSize, BackendConfig.DEFAULT_BUFFER_SIZE),
          get(fields, "connectTimeout", Values.POSITIVE_DURATION_FORMS, Values::positiveDuration,
              BackendConfig.DEFAULT_CONNECT_TIMEOUT),
          get(fields, "timeout", Values.POSITIVE_DURATION_FORMS, Values::positiveDuration,
              BackendConfig.DEFAULT_TIMEOUT),
          get(fields, "maxVars", Values.MAX_VARS_FORMS, Values::maxVars, BackendConfig.DEFAULT_MAX_VARS));
      String other = itemByName.putIfAbsent(name, item.key);
      if (other != null) {
        throw nameAt != null
            ? nameAt.error("\"" + name + "\" is already the name of " + other + " (expected: a unique name)")
            : item.error("its default name \"" + name + "\" is already the name of " + other
                + " (expected: a unique name: for it)");
      }
      result.add(backend);
    }
    return result;
  }

  private Map<String, At> mapping(At at, List<String> keys) {
    return at == null ? Map.of() : at.mapping(keys);
  }

  private static <T> T get(Map<String, At> fields, String key, String forms, Function<String, T> parser, T absent) {
    At at = fields.get(key);
    return at == null ? absent : at.parse(forms, parser);
  }

  /** Empty when the key is absent or its text (after substitution) is empty, as {@code ${TOKEN:-}} may leave it. */
  private static <T> Optional<T> optional(Map<String, At> fields, String key, String forms,
      Function<String, T> parser) {
    At at = fields.get(key);
    return at == null ? Optional.empty()
        : at.parse(forms, text -> text.isEmpty() ? Optional.empty() : Optional.of(parser.apply(text)));
  }

  private At required(At item, Map<String, At> fields, String key, String forms) {
    At at = fields.get(key);
    if (at == null) {
      throw new ConfigException(file + ":" + item.line() + ": " + item.key + "." + key + ": missing (expected: "
          + forms + ")");
    }
    return at;
  }

  /** {@code key:} followed by nothing: YAML's null, which this file treats as the key being absent. */
  private static boolean isAbsent(Node node) {
    return node instanceof ScalarNode scalar && scalar.isPlain() && scalar.getValue().isEmpty();
  }

  private static String join(List<String> keys) {
    return String.join(", ", keys);
  }

  private static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "No such file or directory";
    }
    if (e instanceof AccessDeniedException) {
      return "Permission denied";
    }
    if (e instanceof FileSystemException fse && fse.getReason() != null) {
      return fse.getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  /** A node and the dotted key that leads to it, so that errors about it can name both. */
  private final class At {
    final Node node;
    final String key;

    At(Node node, String key) {
      this.node = node;
      this.key = key;
    }

    int line() {
      return node.getStartMark().getLine() + 1;
    }

    /** How errors name this node: {@code FILE:LINE: key}. */
    String where() {
      return file + ":" + line() + ": " + key;
    }

    ConfigException error(String problem) {
      return new ConfigException(key.isEmpty() ? file + ":" + line() + ": " + problem : where() + ": " + problem);
    }

    /** The scalar's text with {@code ${NAME}} references replaced. */
    String text(String forms) {
      if (!(node instanceof ScalarNode scalar)) {
        throw kindError(forms);
      }
      try {
        return EnvSubstitution.apply(scalar.getValue(), env);
      } catch (IllegalArgumentException e) {
        throw error(e.getMessage());
      }
    }

    <T> T parse(String forms, Function<String, T> parser) {
      String text = text(forms);
      try {
        return parser.apply(text);
      } catch (IllegalArgumentException e) {
        throw error(e.getMessage());
      }
    }

    /** The mapping's values by key, keys with no value left out; unknown and repeated keys are errors. */
    Map<String, At> mapping(List<String> keys) {
      if (isAbsent(node)) {
        return Map.of();
      }
      if (!(node instanceof MappingNode mapping)) {
        throw kindError("a mapping with keys " + join(keys));
      }
      Map<String, At> fields = new LinkedHashMap<>();
      Map<String, Integer> lines = new HashMap<>();
      for (NodeTuple tuple : mapping.getValue()) {
        Node keyNode = tuple.getKeyNode();
        int line = keyNode.getStartMark().getLine() + 1;
        if (!(keyNode instanceof ScalarNode scalar) || !keys.contains(scalar.getValue())) {
          String name = keyNode instanceof ScalarNode scalar ? "\"" + dotted(scalar.getValue()) + "\""
              : describe(keyNode) + (key.isEmpty() ? "" : " in " + key);
          throw new ConfigException(file + ":" + line + ": unknown key " + name + " (expected one of: " + join(keys)
              + ")");
        }
        String name = scalar.getValue();
        Integer first = lines.putIfAbsent(name, line);
        if (first != null) {
          throw new ConfigException(file + ":" + line + ": duplicate key \"" + dotted(name)
              + "\" (already given at line " + first + "; expected: each key once)");
        }
        if (!isAbsent(tuple.getValueNode())) {
          fields.put(name, new At(tuple.getValueNode(), dotted(name)));
        }
      }
      return fields;
    }

    List<At> list(String forms) {
      if (isAbsent(node)) {
        return List.of();
      }
      if (!(node instanceof SequenceNode sequence)) {
        throw kindError(forms);
      }
      List<At> items = new ArrayList<>();
      for (Node item : sequence.getValue()) {
        items.add(new At(item, key + "[" + items.size() + "]"));
      }
      return items;
    }

    private String dotted(String child) {
      return key.isEmpty() ? child : key + "." + child;
    }

    private ConfigException kindError(String forms) {
      String problem = describe(node) + " (expected: " + forms + ")";
      return error(key.isEmpty() ? "the top level is " + problem : problem);
    }
  }

  private static String describe(Node node) {
    if (node instanceof ScalarNode scalar) {
      return "\"" + scalar.getValue() + "\"";
    }
    return node instanceof SequenceNode ? "a list" : "a mapping";
  }
}
