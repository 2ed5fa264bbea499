package io.sluice.server;

import io.sluice.config.Cidr;
import io.sluice.config.ClientConfig;
import io.sluice.config.ForwardingConfig;
import java.util.List;

/**
 * What the front tells backends about a request beyond the client's own headers: whose forwarding headers are
 * believed ({@code clients.trustedProxies}), and whether {@code X-Request-Start} is stamped
 * ({@code forwarding.requestStart}). Immutable and thread-safe: one per process, read on every event loop.
 */
public final class Forwarding {

  /** No trusted proxies; {@code X-Request-Start} stamped. */
  public static final Forwarding DEFAULTS = new Forwarding(List.of(), true);

  private final Cidr[] trusted;
  private final boolean requestStart;

  /**
   * @param trustedProxies peers whose {@code X-Forwarded-*}, {@code Forwarded} and {@code X-Request-Start} are kept
   * @param requestStart   whether to stamp {@code X-Request-Start} on requests that do not bring a trusted one
   */
  public Forwarding(List<Cidr> trustedProxies, boolean requestStart) {
    this.trusted = trustedProxies.toArray(Cidr[]::new);
    this.requestStart = requestStart;
  }

  public static Forwarding of(ClientConfig clients, ForwardingConfig forwarding) {
    return new Forwarding(clients.trustedProxies(), forwarding.requestStart());
  }

  boolean requestStart() {
    return requestStart;
  }

  /**
   * Whether the peer at {@code ip} is a trusted proxy.
   *
   * @param ip a literal address as Vert.x reports a peer ({@code 10.1.2.3}, {@code 0:0:0:0:0:0:0:1}), or empty for a
   *           Unix-socket peer, which is never trusted: its address says nothing about who it is
   */
  boolean trusts(String ip) {
    if (trusted.length == 0 || ip.isEmpty()) {
      return false;
    }
    // The dotted quad is read by hand: this runs once per request, and the general parser uses regular expressions.
    byte[] v4 = ipv4(ip);
    for (Cidr c : trusted) {
      if (v4 != null ? c.contains(v4) : c.contains(ip)) {
        return true;
      }
    }
    return false;
  }

  /** The four bytes of a dotted-quad IPv4 address, or {@code null} when {@code ip} is anything else. */
  static byte[] ipv4(String ip) {
    byte[] out = new byte[4];
    int part = 0;
    int value = 0;
    int digits = 0;
    for (int i = 0; i < ip.length(); i++) {
      char c = ip.charAt(i);
      if (c >= '0' && c <= '9') {
        value = value * 10 + (c - '0');
        if (++digits > 3 || value > 255) {
          return null;
        }
      } else if (c == '.' && digits > 0 && part < 3) {
        out[part++] = (byte) value;
        value = 0;
        digits = 0;
      } else {
        return null;
      }
    }
    if (part != 3 || digits == 0) {
      return null;
    }
    out[3] = (byte) value;
    return out;
  }
}
