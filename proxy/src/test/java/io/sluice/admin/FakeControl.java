package io.sluice.admin;

import io.sluice.config.LimitSetting;
import io.sluice.config.MaxOr;
import io.sluice.kernel.KernelQueue;
import io.sluice.status.Status;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A {@link Control} that keeps limits in memory, counts applies, and refuses what a test tells it to. */
final class FakeControl implements Control {

  private volatile Limits limits;
  final List<Limits> applied = new ArrayList<>();
  volatile InvalidLimitsException refuseNext;
  volatile boolean ready = true;
  volatile int depth;

  FakeControl(Limits limits) {
    this.limits = limits;
  }

  static Limits defaults() {
    Map<String, LimitSetting> backends = new LinkedHashMap<>();
    backends.put("app", LimitSetting.AUTO);
    backends.put("b2", LimitSetting.of(4));
    return new Limits(MaxOr.MAX, MaxOr.MAX, Duration.ofSeconds(60), backends);
  }

  @Override
  public Limits limits() {
    return limits;
  }

  @Override
  public synchronized Limits apply(Limits next) throws InvalidLimitsException {
    InvalidLimitsException refusal = refuseNext;
    if (refusal != null) {
      refuseNext = null;
      throw refusal;
    }
    applied.add(next);
    limits = next;
    return next;
  }

  synchronized int applies() {
    return applied.size();
  }

  @Override
  public Status status() {
    Limits l = limits;
    List<Status.Backend> backends = new ArrayList<>();
    l.backends().forEach((name, setting) -> backends.add(new Status.Backend(name, "unix:/run/" + name + ".sock",
        "uwsgi", setting.toString(), setting.isAuto() ? 3 : setting.fixed(), 1, false,
        name.equals("app") ? new KernelQueue.Known(7, 2, 100) : new KernelQueue.Unknown("no listener"),
        name.equals("app") ? new Status.LimitDecision("up", "slow_start", 2, 3, 1234) : null,
        name.equals("app") ? List.of(new Status.LimitChange("up", "slow_start", 2)) : List.of(),
        new Status.Connections(1, 0), Map.of("stale_connection", 0L))));
    Map<String, Long> outcomes = new LinkedHashMap<>();
    for (io.sluice.server.RequestOutcome o : io.sluice.server.RequestOutcome.values()) {
      outcomes.put(o.label(), (long) o.ordinal());
    }
    return new Status(
        List.of(new Status.Listener("127.0.0.1:8080", l.backlog().toString(), 4096, 4096,
            new KernelQueue.Known(9, 0, 4096))),
        new Status.Queue(depth, 12, l.queueMax().toString(), 19000, l.queueTimeout().toMillis(), 250, 42.25),
        backends, new Status.Totals(100, outcomes), new Status.Fds(20000, 20000, 31),
        new Status.Buffers(4096, 65536, 1 << 20, 1 << 30));
  }

  @Override
  public Future<Boolean> ready() {
    return Future.succeededFuture(ready);
  }
}
