package io.sluice.runtime;

import io.sluice.admin.InvalidLimitsException;
import io.sluice.config.MaxOr;
import io.sluice.kernel.ListenerSocket;
import io.sluice.kernel.Listeners;
import io.sluice.net.Sockets;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel backlog of every front listener: a new setting is applied with {@code listen(2)} again on the live
 * sockets, to all of them or, if the kernel refuses one, to none; {@code max} follows {@code net.core.somaxconn} when
 * it changes. Thread-safe (its methods are serialised); blocking (system calls): call it off the event loops.
 */
final class Backlogs {

  private static final System.Logger LOG = System.getLogger(Backlogs.class.getName());

  private final List<LiveListener> listeners;
  private final Listeners kernel;
  private MaxOr setting;

  Backlogs(List<LiveListener> listeners, Listeners kernel, MaxOr setting) {
    this.listeners = List.copyOf(listeners);
    this.kernel = kernel;
    this.setting = setting;
  }

  /**
   * Resolves and applies a setting: {@code max} is {@code net.core.somaxconn} now; a number above it is refused.
   *
   * @return the backlog now in force
   * @throws InvalidLimitsException 400 for a number above somaxconn, 500 when the kernel refused
   */
  synchronized int apply(MaxOr next) throws InvalidLimitsException {
    int somaxconn;
    try {
      somaxconn = kernel.somaxconn();
    } catch (IOException e) {
      throw new InvalidLimitsException(500, "backlog: cannot read net.core.somaxconn: " + e.getMessage());
    }
    int backlog = next.isMax() ? somaxconn : next.value();
    if (!next.isMax() && backlog > somaxconn) {
      throw new InvalidLimitsException(400, "backlog: " + Policies.somaxconnMessage(backlog, somaxconn));
    }
    relistenAll(backlog);
    setting = next;
    return backlog;
  }

  /** {@code backlog: max} follows {@code net.core.somaxconn}: called when the sampler sees it change. */
  synchronized void somaxconnChanged(int somaxconn) {
    if (!setting.isMax()) {
      return;
    }
    try {
      relistenAll(somaxconn);
      LOG.log(Level.INFO, "backlog max re-applied: " + somaxconn);
    } catch (InvalidLimitsException e) {
      LOG.log(Level.WARNING, "cannot re-apply backlog max = " + somaxconn + ": " + e.getMessage());
    }
  }

  /** Calls listen(2) again on every listener whose backlog differs; undoes them all if one fails. */
  private void relistenAll(int backlog) throws InvalidLimitsException {
    List<LiveListener> changed = new ArrayList<>();
    try {
      for (LiveListener l : listeners) {
        if (l.backlog() != backlog) {
          kernel.relisten(find(l), backlog);
          changed.add(l);
        }
      }
    } catch (IOException e) {
      for (LiveListener l : changed) {
        try {
          kernel.relisten(find(l), l.backlog());
        } catch (IOException undo) {
          LOG.log(Level.ERROR, "cannot restore the backlog of " + l.address() + ": " + undo.getMessage());
        }
      }
      throw new InvalidLimitsException(500, "backlog: the kernel refused listen(" + backlog + "): " + e.getMessage());
    }
    for (LiveListener l : changed) {
      l.backlog(backlog);
    }
  }

  private ListenerSocket find(LiveListener l) throws IOException {
    SocketAddress at = Sockets.kernelAddress(l.address());
    return at instanceof UnixDomainSocketAddress u ? kernel.findUnix(u.getPath())
        : kernel.findTcp((InetSocketAddress) at);
  }
}
