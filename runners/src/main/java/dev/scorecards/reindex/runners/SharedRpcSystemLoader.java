package dev.scorecards.reindex.runners;

import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.rpc.AddressResolution;
import org.apache.flink.runtime.rpc.RpcSystem;
import org.apache.flink.runtime.rpc.RpcSystemLoader;
import org.apache.flink.runtime.rpc.pekko.PekkoRpcSystemLoader;

/**
 * Loads Flink's RPC system once per process instead of once per embedded cluster.
 *
 * <p>Flink's own loader copies its 22 MB RPC jar (Pekko and Scala) to a new temporary file and
 * loads it into a new class loader every time an embedded mini-cluster starts, which the
 * FlinkRunner does for every pipeline run, so for every chunk of a reindex: about 1,450 classes
 * loaded, linked and compiled again per chunk, and their class loader's memory held until it is
 * collected (peak memory grew with the number of chunks). This loader, found by Flink through
 * {@code META-INF/services} ahead of its own (a lower load priority), asks Flink's loader once and
 * hands every cluster the same RPC system; a cluster's {@code close} of it is ignored, and the
 * shared one is closed (its temporary jar deleted) when the JVM exits. Everything else is Flink's.
 */
public final class SharedRpcSystemLoader implements RpcSystemLoader {
  private static RpcSystem shared;
  private static int loads;

  @Override
  public int getLoadPriority() {
    return -1;
  }

  @Override
  public RpcSystem loadRpcSystem(Configuration config) {
    return new Unclosed(sharedRpcSystem(config));
  }

  private static synchronized RpcSystem sharedRpcSystem(Configuration config) {
    if (shared == null) {
      RpcSystem loaded = new PekkoRpcSystemLoader().loadRpcSystem(config);
      // One hook for both, in order: the kept clusters stop while their RPC system still runs.
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    EmbeddedFlink.closeAll();
                    loaded.close();
                  },
                  "flink-embedded-close"));
      shared = loaded;
      loads++;
    }
    return shared;
  }

  /** How many times Flink's own loader was asked in this JVM (one, once any cluster started). */
  static synchronized int loads() {
    return loads;
  }

  /** The shared RPC system, with a {@code close} that leaves it open for the next cluster. */
  private record Unclosed(RpcSystem delegate) implements RpcSystem {
    @Override
    public RpcServiceBuilder localServiceBuilder(Configuration config) {
      return delegate.localServiceBuilder(config);
    }

    @Override
    public RpcServiceBuilder remoteServiceBuilder(
        Configuration config, String externalAddress, String externalPortRange) {
      return delegate.remoteServiceBuilder(config, externalAddress, externalPortRange);
    }

    @Override
    public String getRpcUrl(
        String hostname,
        int port,
        String endpointName,
        AddressResolution addressResolution,
        Configuration config)
        throws UnknownHostException {
      return delegate.getRpcUrl(hostname, port, endpointName, addressResolution, config);
    }

    @Override
    public InetSocketAddress getInetSocketAddressFromRpcUrl(String url) throws Exception {
      return delegate.getInetSocketAddressFromRpcUrl(url);
    }

    @Override
    public long getMaximumMessageSizeInBytes(Configuration config) {
      return delegate.getMaximumMessageSizeInBytes(config);
    }

    @Override
    public void close() {
      // Left open for the next embedded cluster; closed at JVM exit.
    }
  }
}
