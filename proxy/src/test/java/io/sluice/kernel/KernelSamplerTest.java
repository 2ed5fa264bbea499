package io.sluice.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.sluice.testing.FixedKernel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sampler's first, synchronous sample, on fakes of the kernel. */
class KernelSamplerTest {

  private static final SocketAddress APP = UnixDomainSocketAddress.of(Path.of("/run/app.sock"));
  private static final SocketAddress REMOTE = new InetSocketAddress("10.0.0.9", 8000);

  private final List<Integer> somaxconnChanges = new ArrayList<>();

  private KernelSampler sampler(int somaxconnNow) {
    Listeners listeners = new Listeners() {
      @Override
      public int somaxconn() {
        return somaxconnNow;
      }

      @Override
      public ListenerSocket findTcp(InetSocketAddress bound) {
        throw new UnsupportedOperationException();
      }

      @Override
      public ListenerSocket findUnix(Path path) {
        throw new UnsupportedOperationException();
      }

      @Override
      public void relisten(ListenerSocket socket, int backlog) {
        throw new UnsupportedOperationException();
      }
    };
    FixedKernel kernel = new FixedKernel(Map.of(APP, new KernelQueue.Known(7, 3, 100)));
    return new KernelSampler(kernel, listeners, kernel, 4096, somaxconnChanges::add);
  }

  @Test
  void eachWatcherGetsItsSocketsReadingAndAnUnreportedOneIsUnknown() {
    List<KernelQueue> app = new ArrayList<>();
    List<KernelQueue> remote = new ArrayList<>();
    try (KernelSampler s = sampler(4096)) {
      s.watch(APP, app::add);
      s.watch(REMOTE, remote::add);
      s.start();
    }
    assertEquals(List.of(new KernelQueue.Known(7, 3, 100)), app);
    assertEquals("not reported", assertInstanceOf(KernelQueue.Unknown.class, remote.get(0)).reason());
  }

  @Test
  void theSlowReadingsAreKeptAndASomaxconnChangeIsTold() {
    try (KernelSampler s = sampler(8192)) {
      assertEquals(4096, s.readings().somaxconn());
      s.start();
      assertEquals(new KernelSampler.Readings(8192, new FdLimit(1024, 4096), 42), s.readings());
    }
    assertEquals(List.of(8192), somaxconnChanges);
  }

  @Test
  void anUnchangedSomaxconnIsNotTold() {
    try (KernelSampler s = sampler(4096)) {
      s.start();
    }
    assertEquals(List.of(), somaxconnChanges);
  }
}
