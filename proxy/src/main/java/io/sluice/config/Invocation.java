package io.sluice.config;

import java.util.Objects;

/** What the command line asks for: run Sluice with a configuration, or print the help or the version. */
public sealed interface Invocation {

  /** Run Sluice with this validated configuration. */
  record Run(SluiceConfig config) implements Invocation {
    public Run {
      Objects.requireNonNull(config, "config");
    }
  }

  /** Print {@link CommandLine#usage()} and exit with status 0; the other arguments were not validated. */
  record Help() implements Invocation {
  }

  /** Print the version and exit with status 0; the other arguments were not validated. */
  record Version() implements Invocation {
  }
}
