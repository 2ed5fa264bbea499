package io.sluice.config;

import io.sluice.cli.Option;
import java.util.Arrays;
import java.util.List;

/** The command-line flags, in the order {@link CommandLine#usage()} lists them. */
enum Flag {
  CONFIG("--config", "FILE", "a YAML file", "YAML file with the same settings; flags override it", "none"),
  LISTEN("--listen", "ADDR", Address.FORMS, Address.FORMS + "; repeatable",
      FileSettings.DEFAULT_LISTENERS.get(0).address().toString()),
  BACKLOG("--backlog", "max|N", MaxOr.FORMS,
      "kernel listen backlog of every listener; max = net.core.somaxconn", MaxOr.MAX.toString()),
  BACKEND("--backend", "[NAME=]ADDR", "[NAME=]unix:/path or [NAME=]HOST:PORT",
      "unix:/path or HOST:PORT; repeatable; NAME defaults to default, b2, b3...", "none"),
  PROTOCOL("--protocol", "http|uwsgi", Protocol.FORMS, "protocol spoken to the backends", Protocol.HTTP.id()),
  LIMIT("--limit", "auto|N", LimitSetting.FORMS, "most requests in flight inside each backend at once",
      LimitSetting.AUTO.toString()),
  QUEUE_MAX("--queue-max", "max|N", MaxOr.FORMS,
      "most requests waiting in the queue; max = as many as file descriptors allow", MaxOr.MAX.toString()),
  QUEUE_TIMEOUT("--queue-timeout", "DURATION", Values.POSITIVE_DURATION_FORMS,
      "longest wait in the queue, such as 500ms, 30s or 2m", Durations.format(QueueConfig.DEFAULT_TIMEOUT)),
  QUEUE_DISCIPLINE("--queue-discipline", "fifo|adaptive", QueueDiscipline.FORMS,
      "adaptive: under sustained overload keep what drains within the target, newest first, refuse the rest at once",
      QueueConfig.DEFAULT_DISCIPLINE.id()),
  QUEUE_TARGET("--queue-target", "DURATION", Values.POSITIVE_DURATION_FORMS,
      "the wait the adaptive queue holds under sustained overload", Durations.format(QueueConfig.DEFAULT_TARGET)),
  TRUSTED_PROXY("--trusted-proxy", "CIDR", Cidr.FORMS,
      "a peer whose X-Forwarded-* and Forwarded headers are kept; repeatable", "none"),
  ADMIN("--admin", "ADDR|off", Values.ADMIN_FORMS, "admin API, metrics and UI",
      AdminConfig.DEFAULT_ADDRESS.toString()),
  ADMIN_TOKEN("--admin-token", "TOKEN", "a non-empty token",
      "bearer token for the admin API; also SLUICE_ADMIN_TOKEN", "none"),
  ADMIN_TOKEN_FILE("--admin-token-file", "PATH", Values.TOKEN_FILE_FORMS,
      "file holding the admin token (kept out of ps and the environment)", "none"),
  STATE_FILE("--state-file", "PATH", Values.PATH_FORMS,
      "file keeping the limits changed over the admin API across restarts", "none"),
  MAX_BODY("--max-body", "SIZE", Sizes.FORMS, "largest request body accepted, such as 512KiB or 1GB", "100MB"),
  DRAIN_TIMEOUT("--drain-timeout", "DURATION", Durations.FORMS,
      "longest wait for requests in flight when stopping", Durations.format(SluiceConfig.DEFAULT_DRAIN_TIMEOUT)),
  HELP("--help", null, null, "print this help and exit", null),
  VERSION("--version", null, null, "print the version and exit", null);

  /** The flag as typed, such as {@code --queue-max}. */
  final String flag;
  /** The value's placeholder in the usage text; {@code null} when the flag takes no value. */
  final String metavar;
  /** What the value may be, for error messages. */
  final String forms;
  final String help;
  /** The default in the usage text; {@code null} when there is none to show. */
  final String defaultText;

  /** How the command-line parser knows it. */
  final Option option;

  Flag(String flag, String metavar, String forms, String help, String defaultText) {
    this.flag = flag;
    this.metavar = metavar;
    this.forms = forms;
    this.help = help;
    this.defaultText = defaultText;
    this.option = metavar == null ? Option.flag(flag) : Option.value(flag, metavar, forms);
  }

  /** The flag an option stands for. */
  static Flag of(Option option) {
    for (Flag f : values()) {
      if (f.option.equals(option)) {
        return f;
      }
    }
    throw new IllegalArgumentException("option: " + option.name() + " (expected: one of Sluice's flags)");
  }

  /** The flags the parser reads; {@code -h} and {@code --help} it knows itself. */
  static List<Option> options() {
    return Arrays.stream(values()).filter(f -> f != HELP).map(f -> f.option).toList();
  }
}
