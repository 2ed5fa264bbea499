package io.sluice.backend;

import io.sluice.backend.http.HttpRequestEncoder;
import io.sluice.backend.uwsgi.UwsgiRequestEncoder;
import io.sluice.backend.uwsgi.VarsTooLargeException;
import io.sluice.config.BackendConfig;
import io.vertx.core.buffer.Buffer;

/** Turns a request's head into the bytes one backend's protocol expects; the body follows as is. Thread-safe. */
@FunctionalInterface
interface RequestEncoder {

  Buffer encode(RequestHead head) throws RequestRefusedException;

  static RequestEncoder forBackend(BackendConfig config) {
    switch (config.protocol()) {
      case UWSGI: {
        UwsgiRequestEncoder uwsgi = new UwsgiRequestEncoder(config.bufferSize(), config.maxVars());
        return head -> {
          try {
            return uwsgi.encode(head);
          } catch (VarsTooLargeException e) {
            throw new RequestRefusedException(431, e.getMessage());
          }
        };
      }
      case HTTP:
      default:
        return HttpRequestEncoder::encode;
    }
  }
}
