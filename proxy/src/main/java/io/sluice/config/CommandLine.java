package io.sluice.config;

import io.sluice.cli.Args;
import io.sluice.cli.UsageException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Sluice's command line: the flags of SPEC.md over the optional {@code --config} YAML file.
 *
 * <p>The arguments are read by the rules every command shares ({@link Args}). A flag given twice keeps its last value,
 * except the repeatable {@code --listen}, {@code --backend} and {@code --trusted-proxy} (which adds to the file's
 * {@code clients.trustedProxies}). {@code --help} (or {@code -h}) and {@code --version} win over
 * every other argument, which is then not validated. The commands {@code check} (which takes these options),
 * {@code demo}, {@code spike} and {@code limits} are not parsed here (the caller dispatches on them first): any
 * argument that is not an option is an error.
 *
 * <p>Flags override the file: {@code --listen} replaces its listeners and {@code --backlog} applies to every listener;
 * {@code --backend} replaces its backends, and {@code --protocol} and {@code --limit} apply to the backends of the
 * command line or, when there are none, to every backend of the file; the admin token is the first of
 * {@code --admin-token}, a non-empty {@code SLUICE_ADMIN_TOKEN} and the file's {@code admin.token};
 * {@code --state-file} replaces the file's {@code admin.stateFile}.
 */
public final class CommandLine {

  /** The environment variable that holds the admin token. */
  public static final String TOKEN_VARIABLE = "SLUICE_ADMIN_TOKEN";

  private static final String HINT = "(run sluice --help for the options)";

  private CommandLine() {
  }

  /**
   * Parses the arguments (without the program name) into what Sluice should do.
   *
   * @param env the environment: {@code SLUICE_ADMIN_TOKEN} and the variables the file refers to as {@code ${NAME}}
   * @throws ConfigException naming the first wrong argument, or the file, line and key of the first error in the
   *                         configuration file, and what is accepted
   */
  public static Invocation parse(String[] args, Map<String, String> env) {
    Objects.requireNonNull(env, "env");
    Args parsed = Args.parse(args, Flag.options(), HINT);
    if (parsed.help()) {
      return new Invocation.Help();
    }
    if (parsed.has(Flag.VERSION.option)) {
      return new Invocation.Version();
    }
    try {
      Given given = new Given();
      for (Args.Given g : parsed.given()) {
        given.add(Flag.of(g.option()), g);
      }
      if (!parsed.operands().isEmpty()) {
        throw new UsageException("unexpected argument \"" + parsed.operands().get(0) + "\" (run sluice --help for "
            + "the options and commands)");
      }
      return new Invocation.Run(configure(given, env));
    } catch (UsageException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /** Whether {@code args} give a {@code --backend}, read as {@link #parse} reads them. */
  public static boolean givesBackend(String[] args) {
    return Args.parse(args, Flag.options(), HINT).has(Flag.BACKEND.option);
  }

  /** The {@code --help} text: one line per command and per flag with its default, ending with a line break. */
  public static String usage() {
    StringBuilder sb = new StringBuilder()
        .append("Usage: sluice [OPTIONS]              run the proxy\n")
        .append("       sluice check [OPTIONS]        validate the options and --config file without starting\n")
        .append("       sluice demo                   run a demo backend with Sluice in front of it\n")
        .append("       sluice spike URL              send a spike of concurrent requests to URL\n")
        .append("       sluice limits [set k=v ...]   show or change the limits of a running Sluice\n")
        .append('\n')
        .append("Options (--flag VALUE or --flag=VALUE; flags override the --config file):\n");
    for (Flag f : Flag.values()) {
      String left = (f == Flag.HELP ? "-h, " : "") + f.flag + (f.metavar != null ? " " + f.metavar : "");
      sb.append(String.format("  %-26s %s", left, f.help));
      if (f.defaultText != null) {
        sb.append(" (default: ").append(f.defaultText).append(')');
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static SluiceConfig configure(Given given, Map<String, String> env) {
    FileSettings file = given.configFile == null ? FileSettings.defaults() : YamlConfigFile.load(given.configFile, env);
    List<Cidr> trusted = new ArrayList<>(file.clients().trustedProxies());
    trusted.addAll(given.trustedProxies);
    ClientConfig clients = file.clients().withTrustedProxies(trusted);
    return new SluiceConfig(given.listeners(file), given.queue(file), given.backends(file), given.admin(file, env),
        given.buffers(file), given.drainTimeout != null ? given.drainTimeout : file.drainTimeout(), clients,
        file.forwarding());
  }

  private static Path configPath(String text) {
    try {
      if (!text.isEmpty()) {
        return Path.of(text);
      }
    } catch (InvalidPathException e) {
      // reported below with the accepted forms
    }
    throw Values.expected(text, Flag.CONFIG.forms);
  }

  private static String token(String text) {
    if (text.isEmpty()) {
      throw Values.expected(text, Flag.ADMIN_TOKEN.forms);
    }
    return text;
  }

  /**
   * Whether only this machine can reach the address: a Unix socket, {@code localhost}, 127.0.0.0/8 or ::1. Host
   * names other than {@code localhost} count as reachable, since what they resolve to may change.
   */
  static boolean isLocalOnly(Address address) {
    if (!(address instanceof Address.Tcp tcp)) {
      return true;
    }
    String host = tcp.host();
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (host.indexOf(':') >= 0) {
      // getByName parses an IPv6 literal without a lookup only when it starts with a hex digit or a colon
      if (Character.digit(host.charAt(0), 16) < 0 && host.charAt(0) != ':') {
        return false;
      }
      try {
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    String[] octets = host.split("\\.", -1);
    if (octets.length != 4 || !octets[0].equals("127")) {
      return false;
    }
    for (String octet : octets) {
      if (!octet.matches("[0-9]{1,3}") || Integer.parseInt(octet) > 255) {
        return false;
      }
    }
    return true;
  }

  /** What the command line gave; {@code null} (or empty) for what it did not. */
  private static final class Given {
    Path configFile;
    final List<Address> listen = new ArrayList<>();
    MaxOr backlog;
    final List<BackendFlag> backends = new ArrayList<>();
    Protocol protocol;
    LimitSetting limit;
    MaxOr queueMax;
    Duration queueTimeout;
    QueueDiscipline queueDiscipline;
    Duration queueTarget;
    final List<Cidr> trustedProxies = new ArrayList<>();
    String tokenFromFile;
    boolean adminGiven;
    Optional<Address> admin = Optional.empty();
    String token;
    Path stateFile;
    Long maxBody;
    Duration drainTimeout;

    void add(Flag flag, Args.Given o) {
      switch (flag) {
        case CONFIG -> configFile = o.parse(CommandLine::configPath);
        case LISTEN -> listen.add(o.parse(Address::parse));
        case BACKLOG -> backlog = o.parse(MaxOr::parse);
        case BACKEND -> backends.add(o.parse(BackendFlag::parse));
        case PROTOCOL -> protocol = o.parse(Protocol::parse);
        case LIMIT -> limit = o.parse(LimitSetting::parse);
        case QUEUE_MAX -> queueMax = o.parse(MaxOr::parse);
        case QUEUE_TIMEOUT -> queueTimeout = o.parse(Values::positiveDuration);
        case QUEUE_DISCIPLINE -> queueDiscipline = o.parse(QueueDiscipline::parse);
        case QUEUE_TARGET -> queueTarget = o.parse(Values::positiveDuration);
        case TRUSTED_PROXY -> trustedProxies.add(o.parse(Cidr::parse));
        case ADMIN_TOKEN_FILE -> tokenFromFile = o.parse(Values::tokenFile);
        case ADMIN -> {
          admin = o.parse(Values::adminAddress);
          adminGiven = true;
        }
        case ADMIN_TOKEN -> token = o.parse(CommandLine::token);
        case STATE_FILE -> stateFile = o.parse(Values::path);
        case MAX_BODY -> maxBody = o.parse(Sizes::parse);
        case DRAIN_TIMEOUT -> drainTimeout = o.parse(Durations::parse);
        default -> throw new AssertionError(flag + " takes no value");
      }
    }

    List<ListenerConfig> listeners(FileSettings file) {
      List<ListenerConfig> listeners = listen.isEmpty()
          ? file.listeners()
          : listen.stream().map(a -> new ListenerConfig(a, MaxOr.MAX)).toList();
      return backlog == null ? listeners : listeners.stream().map(l -> l.withBacklog(backlog)).toList();
    }

    List<BackendConfig> backends(FileSettings file) {
      List<BackendConfig> result = new ArrayList<>();
      if (backends.isEmpty()) {
        for (BackendConfig b : file.backends()) {
          result.add(new BackendConfig(b.name(), b.address(), protocol != null ? protocol : b.protocol(),
              limit != null ? limit : b.limit(), b.bufferSize(), b.connectTimeout(), b.timeout(), b.maxVars()));
        }
      }
      Set<String> names = new HashSet<>();
      for (BackendFlag b : backends) {
        String name = b.name != null ? b.name : Values.backendName(result.size());
        if (!names.add(name)) {
          throw new ConfigException(Flag.BACKEND.flag + ": name \"" + name + "\" is used twice (expected: a unique "
              + "NAME= for each --backend; unnamed ones are default, b2, b3... by position)");
        }
        result.add(BackendConfig.of(name, b.address, protocol != null ? protocol : Protocol.HTTP,
            limit != null ? limit : LimitSetting.AUTO));
      }
      if (result.isEmpty()) {
        throw new ConfigException("no backend configured (expected: --backend ADDR or backends: in --config FILE)");
      }
      return result;
    }

    QueueConfig queue(FileSettings file) {
      QueueConfig queue = file.queue();
      if (queueMax != null) {
        queue = queue.withMax(queueMax);
      }
      if (queueDiscipline != null) {
        queue = queue.withDiscipline(queueDiscipline);
      }
      if (queueTarget != null) {
        queue = queue.withTarget(queueTarget);
      }
      return queueTimeout == null ? queue : queue.withTimeout(queueTimeout);
    }

    /** The admin settings; without a token the admin listener must be reachable from this machine only. */
    AdminConfig admin(FileSettings file, Map<String, String> env) {
      Optional<Address> address = adminGiven ? admin : file.admin().address();
      if (token != null && tokenFromFile != null) {
        throw new ConfigException(Flag.ADMIN_TOKEN_FILE.flag + ": given with " + Flag.ADMIN_TOKEN.flag
            + " (expected: one of them)");
      }
      Optional<String> adminToken = Optional.ofNullable(token).or(() -> Optional.ofNullable(tokenFromFile))
          .or(() -> Optional.ofNullable(env.get(TOKEN_VARIABLE)).filter(t -> !t.isEmpty()))
          .or(() -> file.admin().token());
      if (adminToken.isEmpty() && address.isPresent() && !isLocalOnly(address.get())) {
        String origin = adminGiven ? Flag.ADMIN.flag : file.adminAddressOrigin();
        throw new ConfigException(origin + ": \"" + address.get() + "\" is not a loopback address, so a token is "
            + "required (expected: --admin-token TOKEN or " + TOKEN_VARIABLE + ", or bind to 127.0.0.1)");
      }
      return new AdminConfig(address, adminToken,
          stateFile != null ? Optional.of(stateFile) : file.admin().stateFile());
    }

    BufferConfig buffers(FileSettings file) {
      BufferConfig buffers = file.buffers();
      return maxBody == null ? buffers : buffers.withMaxBody(maxBody);
    }
  }

  /** {@code --backend [NAME=]ADDR}; {@code name} is {@code null} when not given. */
  private record BackendFlag(String name, Address address) {
    static BackendFlag parse(String text) {
      int eq = text.indexOf('=');
      int addressStart = indexOfAny(text, ":/");
      // "unix:/a=b.sock" is an address, "app=unix:/a.sock" a name and an address
      if (eq < 0 || (addressStart >= 0 && addressStart < eq)) {
        return new BackendFlag(null, Address.parseBackend(text));
      }
      String name = text.substring(0, eq);
      try {
        Values.backendName(name);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("name " + e.getMessage());
      }
      return new BackendFlag(name, Address.parseBackend(text.substring(eq + 1)));
    }

    private static int indexOfAny(String s, String chars) {
      for (int i = 0; i < s.length(); i++) {
        if (chars.indexOf(s.charAt(i)) >= 0) {
          return i;
        }
      }
      return -1;
    }
  }
}
