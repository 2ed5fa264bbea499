package io.sluice.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sluice.admin.InvalidLimitsException;
import io.sluice.admin.Limits;
import io.sluice.backend.Upstream;
import io.sluice.backend.Upstreams;
import io.sluice.buffer.BufferBudget;
import io.sluice.backend.http.HttpProtocol;
import io.sluice.config.Address;
import io.sluice.config.BackendConfig;
import io.sluice.config.LimitSetting;
import io.sluice.config.MaxOr;
import io.sluice.config.Protocol;
import io.sluice.kernel.KernelSampler;
import io.sluice.kernel.ListenerSocket;
import io.sluice.kernel.Listeners;
import io.sluice.limit.Decision;
import io.sluice.limit.Reason;
import io.sluice.metrics.Metrics;
import io.sluice.queue.Dispatcher;
import io.sluice.queue.QueueSnapshot;
import io.sluice.queue.FifoLine;
import io.sluice.server.Stats;
import io.sluice.status.Status;
import io.sluice.testing.FakeTime;
import io.sluice.testing.FixedKernel;
import io.sluice.testing.RecordingLimit;
import io.sluice.testing.ScriptedConnector;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Limits applied live, on fakes of the kernel and the backends. */
class LiveControlTest {

  private static final long SECOND = 1_000_000_000L;

  private final FakeTime time = new FakeTime();
  private final FakeKernel kernel = new FakeKernel();
  private final List<LiveListener> listeners = List.of(
      new LiveListener(new Address.Tcp("127.0.0.1", 8080), 4096),
      new LiveListener(new Address.Tcp("127.0.0.1", 8081), 4096));
  private final Backlogs backlogs = new Backlogs(listeners, kernel, MaxOr.MAX);
  private final ScriptedConnector connector = new ScriptedConnector(time, SECOND);
  private final BufferBudget buffers = new BufferBudget(64 * 1024, 1 << 20);
  private final Upstream app;
  private final Upstreams upstreams;
  private final LiveControl control;
  /** Counting descriptors for {@code queue.max: max} blocks while a test holds this. */
  private volatile CountDownLatch fdWalkHeld = new CountDownLatch(0);
  private final CountDownLatch fdWalkStarted = new CountDownLatch(1);

  LiveControlTest() {
    BackendConfig config = BackendConfig.of("app", new Address.Unix(Path.of("/run/app.sock")), Protocol.HTTP,
        LimitSetting.AUTO);
    RecordingLimit learned = new RecordingLimit(8);
    learned.last = new Decision(time.getAsLong() - 1500 * 1_000_000L, 4, 8, Reason.SLOW_START);
    app = new Upstream(0, config, new HttpProtocol(), connector, listener -> learned,
        time);
    Dispatcher dispatcher = new Dispatcher(List.of(app.lane()), new FifoLine(100, 60 * SECOND), time, time);
    upstreams = new Upstreams(List.of(app), dispatcher, Metrics.noop(), time);
    FixedKernel fixed = new FixedKernel(Map.of());
    KernelSampler sampler = new KernelSampler(fixed, kernel, fixed, 4096,
        backlogs::somaxconnChanged);
    Map<String, LimitSetting> limits = new LinkedHashMap<>();
    limits.put("app", LimitSetting.AUTO);
    control = new LiveControl(new Limits(MaxOr.MAX, MaxOr.of(100), Duration.ofSeconds(60), limits), listeners,
        backlogs, 100, upstreams, new Stats(), sampler, this::countDescriptors, time, buffers);
  }

  @Test
  void statusShowsWhatBuffersHoldAgainstTheirBudgets() {
    assertTrue(buffers.tryMemory(3000));
    assertEquals(new Status.Buffers(3000, 0, 64 * 1024, 1 << 20), control.status().buffers());
    buffers.releaseMemory(3000);
    assertEquals(0, control.status().buffers().memory());
  }

  @Test
  void statusShowsTheLimitsLastDecisionAndHowLongAgo() {
    Status.Backend b = control.status().backends().get(0);
    assertEquals(new Status.LimitDecision("up", "slow_start", 4, 8, 1500), b.lastDecision());
    assertEquals(8, b.limitCurrent());
  }

  @Test
  void limitChangeCountsSurviveAChangeOfLimitAndBack() throws Exception {
    app.limitListener().changed(new Decision(time.getAsLong(), 4, 5, Reason.BACKEND_IDLE));
    app.limitListener().changed(new Decision(time.getAsLong(), 5, 4, Reason.BACKEND_QUEUE));
    app.limitListener().changed(new Decision(time.getAsLong(), 4, 5, Reason.BACKEND_IDLE));
    List<Status.LimitChange> before = control.status().backends().get(0).limitChanges();
    assertEquals(List.of(new Status.LimitChange("up", "backend_idle", 2),
        new Status.LimitChange("down", "backend_queue", 1)), before);

    control.apply(control.limits().withBackendLimit("app", LimitSetting.of(8)));
    Status.Backend fixed = control.status().backends().get(0);
    assertEquals("8", fixed.limitSetting());
    assertNull(fixed.lastDecision(), "a fixed limit never moved");
    control.apply(control.limits().withBackendLimit("app", LimitSetting.AUTO));

    assertEquals("auto", control.status().backends().get(0).limitSetting());
    assertEquals(before, control.status().backends().get(0).limitChanges());
  }

  @Test
  void theQueueBoundAndTimeoutApplyToTheDispatcher() throws Exception {
    control.apply(control.limits().withQueueMax(MaxOr.of(5)).withQueueTimeout(Duration.ofSeconds(2)));
    QueueSnapshot q = upstreams.dispatcher().snapshot();
    assertEquals(5, q.maxDepth());
    assertEquals(2 * SECOND, q.timeoutNanos());
    control.apply(control.limits().withQueueMax(MaxOr.MAX));
    assertEquals(1234, upstreams.dispatcher().snapshot().maxDepth(), "max is what descriptors allow");
    assertEquals(1234, control.effectiveQueueMax());
  }

  @Test
  void anUnknownBackendIs404AndNothingChanges() {
    Limits before = control.limits();
    Map<String, LimitSetting> other = new LinkedHashMap<>(before.backends());
    other.put("nope", LimitSetting.of(2));
    InvalidLimitsException e = assertThrows(InvalidLimitsException.class, () -> control.apply(
        new Limits(MaxOr.of(16), before.queueMax(), before.queueTimeout(), other)));
    assertEquals(404, e.status());
    assertEquals(before, control.limits());
    assertEquals(List.of(), kernel.relistens);
  }

  @Test
  void aBacklogAboveSomaxconnIs400NamingTheSysctl() {
    InvalidLimitsException e = assertThrows(InvalidLimitsException.class,
        () -> control.apply(control.limits().withBacklog(MaxOr.of(5000))));
    assertEquals(400, e.status());
    assertTrue(e.getMessage().contains("net.core.somaxconn"), e.getMessage());
    assertEquals(List.of(), kernel.relistens);
  }

  @Test
  void aNewBacklogRelistensEveryListenerOrNoneWhenTheKernelRefusesOne() throws Exception {
    control.apply(control.limits().withBacklog(MaxOr.of(512)));
    assertEquals(List.of("8080 512", "8081 512"), kernel.relistens);
    assertEquals(List.of(512, 512), listeners.stream().map(LiveListener::backlog).toList());

    kernel.relistens.clear();
    kernel.refusePort = 8081;
    InvalidLimitsException e = assertThrows(InvalidLimitsException.class,
        () -> control.apply(control.limits().withBacklog(MaxOr.of(1024))));
    assertEquals(500, e.status());
    assertEquals(List.of("8080 1024", "8080 512"), kernel.relistens, "the first listener is put back");
    assertEquals(List.of(512, 512), listeners.stream().map(LiveListener::backlog).toList());
    assertEquals(MaxOr.of(512), control.limits().backlog());
  }

  @Test
  void backlogMaxFollowsSomaxconnAndAnExplicitOneStays() throws Exception {
    backlogs.somaxconnChanged(8192);
    assertEquals(List.of(8192, 8192), listeners.stream().map(LiveListener::backlog).toList());
    control.apply(control.limits().withBacklog(MaxOr.of(100)));
    kernel.relistens.clear();
    backlogs.somaxconnChanged(4096);
    assertEquals(List.of(), kernel.relistens);
  }

  private int countDescriptors() {
    fdWalkStarted.countDown();
    try {
      fdWalkHeld.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 1234;
  }

  @Test
  void statusAndOtherChangesDoNotWaitForAPatchCountingDescriptors() throws Exception {
    fdWalkHeld = new CountDownLatch(1);
    Thread patch = new Thread(() -> {
      try {
        control.apply(control.limits().withQueueMax(MaxOr.MAX));
      } catch (InvalidLimitsException e) {
        throw new IllegalStateException(e);
      }
    });
    patch.start();
    try {
      assertTrue(fdWalkStarted.await(30, TimeUnit.SECONDS));
      assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
        assertEquals(100, control.status().queue().effectiveMax(), "status is read while the PATCH counts");
        control.apply(control.limits().withQueueTimeout(Duration.ofSeconds(5)));
      }, "the control's lock is not held while descriptors are counted");
    } finally {
      fdWalkHeld.countDown();
      patch.join();
    }
    assertEquals(1234, control.status().queue().effectiveMax(), "the PATCH that waited is in force");
  }

  @Test
  void readinessComesFromRecentOutcomesAndProbesAtMostOncePerInterval() {
    for (int i = 0; i < 50; i++) {
      assertTrue(control.ready().result());
      time.advanceMillis(100);
    }
    assertEquals(1, connector.probes, "5 s of checks, nothing else known: one probe");
    connector.probeAnswer = () -> io.vertx.core.Future.succeededFuture(false);
    time.advanceMillis(1000);
    assertEquals(false, control.ready().result());
    assertEquals(2, connector.probes);
  }

  @Test
  void aLowerLimitClosesTheIdleConnectionsOverIt() throws Exception {
    control.apply(control.limits().withBackendLimit("app", LimitSetting.of(2)));
    assertEquals(1, connector.trims);
    assertEquals(2, connector.limit.getAsInt(), "the connector reads the limit in force");
  }

  /** The listen backlog calls, written down; {@code refusePort}'s listener refuses a new one. */
  private static final class FakeKernel implements Listeners {
    final List<String> relistens = new ArrayList<>();
    int refusePort;

    @Override
    public int somaxconn() {
      return 4096;
    }

    @Override
    public ListenerSocket findTcp(InetSocketAddress bound) {
      return new ListenerSocket(bound.getPort(), bound.getPort());
    }

    @Override
    public ListenerSocket findUnix(Path path) throws IOException {
      throw new IOException("no Unix listeners here");
    }

    @Override
    public void relisten(ListenerSocket socket, int backlog) throws IOException {
      if (socket.fd() == refusePort) {
        throw new IOException("Operation not permitted");
      }
      relistens.add(socket.fd() + " " + backlog);
    }
  }
}
