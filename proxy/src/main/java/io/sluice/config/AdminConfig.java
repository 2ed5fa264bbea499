package io.sluice.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The admin listener (API, metrics, UI).
 *
 * @param address   where it listens; empty when {@code off}
 * @param token     bearer token every {@code /api} call must carry; empty means loopback clients only
 * @param stateFile where limits changed over the API are kept across restarts; empty means not kept
 */
public record AdminConfig(Optional<Address> address, Optional<String> token, Optional<Path> stateFile) {

  public static final Address DEFAULT_ADDRESS = new Address.Tcp("127.0.0.1", 9901);

  public static AdminConfig defaults() {
    return new AdminConfig(Optional.of(DEFAULT_ADDRESS), Optional.empty(), Optional.empty());
  }

  /** The token in error messages and logs. */
  @Override
  public String toString() {
    return "AdminConfig[address=" + address.map(Address::toString).orElse("off")
        + ", token=" + (token.isPresent() ? "(set)" : "(none)") + ", stateFile=" + stateFile.orElse(null) + "]";
  }
}
