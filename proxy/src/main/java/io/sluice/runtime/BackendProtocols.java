package io.sluice.runtime;

import io.sluice.backend.BackendProtocol;
import io.sluice.backend.http.HttpProtocol;
import io.sluice.backend.uwsgi.UwsgiProtocol;
import io.sluice.config.BackendConfig;

/**
 * The one place that turns a configured protocol into its implementation. It sits here, above {@code backend} and
 * its subpackages, so that {@code backend} never depends on them: a new protocol is a new subpackage of
 * {@code backend} and one line below (plus its name in {@code config.Protocol}).
 */
final class BackendProtocols {

  private BackendProtocols() {
  }

  static BackendProtocol of(BackendConfig config) {
    return switch (config.protocol()) {
      case HTTP -> new HttpProtocol();
      case UWSGI -> new UwsgiProtocol(config.bufferSize(), config.maxVars());
    };
  }
}
