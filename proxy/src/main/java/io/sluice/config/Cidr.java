package io.sluice.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 address block, {@code 10.0.0.0/8} or {@code 2001:db8::/32}; a bare address is a block of one. An
 * IPv4 block also matches the IPv4-mapped IPv6 form of its addresses ({@code ::ffff:10.1.2.3}), which is how a
 * dual-stack listener may report an IPv4 client.
 *
 * @param network the block's address bytes (4 or 16), host bits zero
 * @param prefix  how many leading bits are the network's
 */
public record Cidr(byte[] network, int prefix) {

  /** What {@link #parse} accepts, for error messages. */
  public static final String FORMS = "an IP address or block such as 10.0.0.0/8, 203.0.113.7 or 2001:db8::/32";

  public Cidr {
    if (network.length != 4 && network.length != 16) {
      throw new IllegalArgumentException("network: " + network.length + " bytes (expected: 4 or 16)");
    }
    if (prefix < 0 || prefix > network.length * 8) {
      throw new IllegalArgumentException("prefix: " + prefix + " (expected: 0 to " + network.length * 8 + ")");
    }
    network = mask(network.clone(), prefix);
  }

  /**
   * Parses {@code ADDRESS[/PREFIX]} with a literal address (never a host name: nothing is looked up).
   *
   * @throws IllegalArgumentException naming what was expected
   */
  public static Cidr parse(String text) {
    String t = text.trim();
    int slash = t.indexOf('/');
    String address = slash < 0 ? t : t.substring(0, slash);
    byte[] bytes = literal(address);
    if (bytes == null) {
      throw Values.expected(text, FORMS);
    }
    int prefix = bytes.length * 8;
    if (slash >= 0) {
      String p = t.substring(slash + 1);
      if (!p.matches("[0-9]{1,3}") || Integer.parseInt(p) > bytes.length * 8) {
        throw new IllegalArgumentException("\"" + text + "\": prefix " + p + " (expected: 0 to " + bytes.length * 8
            + ")");
      }
      prefix = Integer.parseInt(p);
    }
    return new Cidr(bytes, prefix);
  }

  /** Whether {@code address} (4 or 16 bytes) is in this block. */
  public boolean contains(byte[] address) {
    byte[] a = address;
    if (network.length == 4 && a.length == 16 && isMappedIpv4(a)) {
      a = Arrays.copyOfRange(a, 12, 16);
    }
    if (a.length != network.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != network[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    return rest == 0 || ((a[full] ^ network[full]) & (0xff << (8 - rest)) & 0xff) == 0;
  }

  /** Whether the literal address {@code ip} is in this block; {@code false} for anything that is not one. */
  public boolean contains(String ip) {
    byte[] bytes = literal(ip);
    return bytes != null && contains(bytes);
  }

  private static boolean isMappedIpv4(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  /** The bytes of a literal IPv4 or IPv6 address, or {@code null}; never a name lookup. */
  static byte[] literal(String text) {
    if (text.isEmpty()) {
      return null;
    }
    String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    if (t.indexOf(':') < 0) {
      String[] parts = t.split("\\.", -1);
      if (parts.length != 4) {
        return null;
      }
      byte[] out = new byte[4];
      for (int i = 0; i < 4; i++) {
        if (!parts[i].matches("[0-9]{1,3}") || Integer.parseInt(parts[i]) > 255) {
          return null;
        }
        out[i] = (byte) Integer.parseInt(parts[i]);
      }
      return out;
    }
    // InetAddress parses an IPv6 literal without a lookup when it contains a colon and only hex digits, colons,
    // dots (an embedded IPv4) and a zone.
    if (!t.matches("[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?")) {
      return null;
    }
    try {
      return InetAddress.getByName(t).getAddress();
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static byte[] mask(byte[] bytes, int prefix) {
    for (int i = 0; i < bytes.length; i++) {
      int bits = Math.max(0, Math.min(8, prefix - i * 8));
      bytes[i] &= (byte) (0xff << (8 - bits));
    }
    return bytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefix == prefix && Arrays.equals(c.network, network);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(network) * 31 + prefix;
  }

  @Override
  public String toString() {
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
