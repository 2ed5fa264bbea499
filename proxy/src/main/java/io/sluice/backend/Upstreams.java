package io.sluice.backend;

import io.sluice.kernel.KernelQueue;
import io.sluice.metrics.Metrics;
import io.sluice.queue.Dispatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The backends a request may go to and the dispatcher between them: what every {@link BackendCall} shares. It also
 * knows how many ways the backends encode a request's head, so that a call encodes each head once per way (usually
 * once: one backend, or several of one kind) before it waits. Immutable; thread-safe.
 */
public final class Upstreams {

  private final List<Upstream> all;
  private final Dispatcher dispatcher;
  private final Metrics metrics;
  private final LongSupplier clock;
  /** One protocol per way of encoding; {@code encodingOf[i]} is backend i's position in it. */
  private final List<BackendProtocol> encodings = new ArrayList<>();
  private final int[] encodingOf;
  private final boolean reusesConnections;

  /**
   * @param all        in configuration order, each at its lane's index
   * @param dispatcher the dispatcher over their lanes
   * @param clock      the dispatcher's clock
   */
  public Upstreams(List<Upstream> all, Dispatcher dispatcher, Metrics metrics, LongSupplier clock) {
    this.all = List.copyOf(all);
    this.dispatcher = dispatcher;
    this.metrics = metrics;
    this.clock = clock;
    this.encodingOf = new int[all.size()];
    for (int i = 0; i < all.size(); i++) {
      BackendProtocol p = all.get(i).protocol();
      int same = 0;
      while (same < encodings.size() && !p.encodesLike(encodings.get(same))) {
        same++;
      }
      if (same == encodings.size()) {
        encodings.add(p);
      }
      encodingOf[i] = same;
    }
    this.reusesConnections = all.stream().anyMatch(u -> u.protocol().reusesConnections());
  }

  /** Whether a connection to some backend may carry another request once its call has ended. */
  public boolean reusesConnections() {
    return reusesConnections;
  }

  public List<Upstream> all() {
    return all;
  }

  public Dispatcher dispatcher() {
    return dispatcher;
  }

  /** Hands a reading of a backend's accept queue to it and to its limit; on the kernel sampler's thread. */
  public void sampled(Upstream u, KernelQueue q) {
    u.kernelQueue(q);
    if (q instanceof KernelQueue.Known k) {
      boolean connectionsKept = u.connector().acceptQueue(k.depth());
      dispatcher.backendQueue(u.lane(), k.depth(), connectionsKept, u.connector().openConnections());
    }
  }

  Upstream get(int index) {
    return all.get(index);
  }

  Metrics metrics() {
    return metrics;
  }

  long now() {
    return clock.getAsLong();
  }

  /** How many different encodings of a head the backends need. */
  int encodings() {
    return encodings.size();
  }

  /** The protocol that encodes for the {@code i}th way. */
  BackendProtocol encoding(int i) {
    return encodings.get(i);
  }

  /** Which way of encoding backend {@code index} needs. */
  int encodingOf(int index) {
    return encodingOf[index];
  }
}
