package io.sluice.testing;

import io.sluice.backend.BackendConnection;
import io.sluice.backend.CallTimeouts;
import io.sluice.backend.Connector;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.net.SocketException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * A backend's connections as the test scripts them: each connect takes the next scripted answer (a connection by
 * default), idle connections are kept as a real connector keeps them, and call timeouts run on the fake clock.
 */
public final class ScriptedConnector implements Connector {

  private final Deque<Supplier<Future<BackendConnection>>> script = new ArrayDeque<>();
  private final Deque<BackendConnection> idle = new ArrayDeque<>();
  private final CallTimeouts timeouts;
  public final List<ScriptedConnection> opened = new ArrayList<>();
  public int connects;
  public int probes;
  public int trims;
  /** What the next probes answer; a held promise keeps them under way. */
  public Supplier<Future<Boolean>> probeAnswer = () -> Future.succeededFuture(true);
  public IntSupplier limit;

  public ScriptedConnector(FakeTime time, long timeoutNanos) {
    this.timeouts = new CallTimeouts(timeoutNanos, time, (millis, task) -> { });
  }

  /** The next connect finds the backend's accept queue full (EAGAIN). */
  public ScriptedConnector refuseBusy() {
    script.add(() -> Future.failedFuture(new SocketException("Resource temporarily unavailable")));
    return this;
  }

  /** The next connect finds nobody listening. */
  public ScriptedConnector refuseDown() {
    script.add(() -> Future.failedFuture(new java.net.ConnectException("Connection refused")));
    return this;
  }

  /** The next connect stays under way until the test completes the promise returned. */
  public Promise<BackendConnection> holdNext() {
    Promise<BackendConnection> p = Promise.promise();
    script.add(p::future);
    return p;
  }

  /** A connection the test may complete a held connect with. */
  public ScriptedConnection newConnection() {
    ScriptedConnection c = new ScriptedConnection();
    opened.add(c);
    return c;
  }

  public ScriptedConnection last() {
    return opened.get(opened.size() - 1);
  }

  @Override
  public void limitBy(IntSupplier limit) {
    this.limit = limit;
  }

  @Override
  public void trim() {
    trims++;
  }

  @Override
  public boolean acceptQueue(int depth) {
    // Keeps no idle connections of its own to close, and no connections alive.
    return false;
  }

  @Override
  public int openConnections() {
    return (int) opened.stream().filter(c -> !c.closed).count();
  }

  @Override
  public int idleConnections() {
    return idle.size();
  }

  @Override
  public BackendConnection idle() {
    return idle.pollFirst();
  }

  @Override
  public Future<BackendConnection> connect() {
    connects++;
    Supplier<Future<BackendConnection>> next = script.pollFirst();
    return next != null ? next.get() : Future.succeededFuture(newConnection());
  }

  @Override
  public void recycle(BackendConnection connection) {
    idle.addFirst(connection);
  }

  @Override
  public CallTimeouts timeouts() {
    return timeouts;
  }

  public int idleCount() {
    return idle.size();
  }

  @Override
  public Future<Boolean> probe() {
    probes++;
    return probeAnswer.get();
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }
}
