package io.sluice.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where Sluice listens or where a backend is reached: a TCP host and port, or a Unix socket path.
 * The text forms are {@code HOST:PORT}, {@code [IPV6]:PORT}, {@code :PORT} (every interface) and {@code unix:/path}.
 */
public sealed interface Address permits Address.Tcp, Address.Unix {

  /** A TCP address. An empty host means every interface (only meaningful for listeners). */
  record Tcp(String host, int port) implements Address {
    public Tcp {
      Objects.requireNonNull(host, "host");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port: " + port + " (expected: 0 to 65535)");
      }
    }

    /** The host to bind or connect to: {@code 0.0.0.0} when the host is empty. */
    public String bindHost() {
      return host.isEmpty() ? "0.0.0.0" : host;
    }

    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /** A Unix stream socket at an absolute or relative path. */
  record Unix(Path path) implements Address {
    public Unix {
      Objects.requireNonNull(path, "path");
    }

    @Override
    public String toString() {
      return "unix:" + path;
    }
  }

  /** What {@link #parse} accepts, for error messages. */
  String FORMS = "HOST:PORT, :PORT or unix:/path";

  /** What {@link #parseBackend} accepts, for error messages. */
  String BACKEND_FORMS = "unix:/path or HOST:PORT";

  /**
   * Parses the text form of an address.
   *
   * @throws IllegalArgumentException with a message saying what was expected
   */
  static Address parse(String text) {
    return parse(text, FORMS, 0);
  }

  /**
   * Parses the address of a backend: as {@link #parse}, but a TCP address needs a host and a port from 1 to 65535,
   * since Sluice connects to it rather than listening on it.
   *
   * @throws IllegalArgumentException with a message saying what was expected
   */
  static Address parseBackend(String text) {
    Address address = parse(text, BACKEND_FORMS, 1);
    if (address instanceof Tcp tcp && tcp.host().isEmpty()) {
      throw new IllegalArgumentException(
          "\"" + text + "\" has no host (expected: " + BACKEND_FORMS + ", such as 127.0.0.1:" + tcp.port() + ")");
    }
    return address;
  }

  private static Address parse(String text, String forms, int minPort) {
    String s = text.trim();
    if (s.startsWith("unix:")) {
      String path = s.substring("unix:".length());
      if (path.isEmpty()) {
        throw new IllegalArgumentException("\"" + text + "\" has no socket path (expected: " + forms + ")");
      }
      return new Unix(Path.of(path));
    }
    int colon = s.lastIndexOf(':');
    // "[::1]" has colons but no port
    if (colon < 0 || s.endsWith("]")) {
      throw new IllegalArgumentException("\"" + text + "\" has no port (expected: " + forms + ")");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      throw new IllegalArgumentException("\"" + text + "\": put an IPv6 host in brackets, as [::1]:8080");
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("\"" + text + "\" has no valid port (expected: " + forms + ")");
    }
    if (port < minPort || port > 65535) {
      throw new IllegalArgumentException(
          "\"" + text + "\": port " + port + " is out of range (expected: " + minPort + " to 65535)");
    }
    return new Tcp(host, port);
  }
}
