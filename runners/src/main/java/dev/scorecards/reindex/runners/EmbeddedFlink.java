package dev.scorecards.reindex.runners;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.dag.Pipeline;
import org.apache.flink.client.ClientUtils;
import org.apache.flink.client.deployment.executors.PipelineExecutorUtils;
import org.apache.flink.configuration.BatchExecutionOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.PipelineExecutor;
import org.apache.flink.core.execution.PipelineExecutorFactory;
import org.apache.flink.core.execution.PipelineExecutorServiceLoader;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.minicluster.MiniClusterJobClient;
import org.apache.flink.runtime.minicluster.RpcServiceSharing;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Embedded Flink with one mini-cluster for the process instead of one per pipeline run.
 *
 * <p>Run embedded, Beam's FlinkRunner executes every pipeline on a mini-cluster of its own (Flink's
 * local executor starts one per job and shuts it down after), and a reindex runs a pipeline per
 * chunk: every chunk paid for starting a cluster (RPC services, blob server, task manager, network
 * buffers: 0.4-0.75 s on 2 cores) and for shutting it down (0.25 s). Here the pipelines of a
 * process are submitted to a cluster that stays up between them: the FlinkRunner's {@code [auto]}
 * master takes the execution environment Flink's context provides, and this class provides one
 * whose executor submits the job graph to a kept cluster, the way Flink's local executor does to
 * its fresh one. The first cluster can be started while the run is still counting and planning
 * ({@link #prestart}).
 *
 * <p>A cluster is lent to one job at a time and comes back when the job has ended; a job that finds
 * none idle (two runs at once in a long-lived process) gets a new one, and at most one idle cluster
 * is kept. A cluster that still lists an unfinished job (an abandoned attempt's) is never lent
 * again; all are closed when the JVM exits. Nothing happens unless Flink's context is empty: under
 * {@code flink run} the submitting cluster's context stays.
 *
 * <p>Flink's adaptive batch scheduler would otherwise choose the parallelism of the read, join and
 * write stage from the bytes its input (the handful of planned ranges) carried: one. The
 * parallelism asked for is the parallelism run.
 */
public final class EmbeddedFlink {
  private EmbeddedFlink() {}

  /** The clusters of this process: at most one idle, any number lent. */
  private static final Deque<Cluster> IDLE = new ArrayDeque<>();

  private static final java.util.Set<Cluster> LENT = new java.util.HashSet<>();

  private static Configuration base;
  private static CompletableFuture<Cluster> starting;
  private static int started;

  /** One cluster and the slots its task manager offers. */
  private record Cluster(MiniCluster cluster, int slots) {}

  /**
   * Makes {@code [auto]} pipelines of this process run on kept clusters configured from {@code
   * confDir} (none: Flink's defaults), unless Flink's context already has an environment.
   * Idempotent; the first call's configuration stays.
   */
  /**
   * Whether Flink's client ({@code flink run}, or a {@code PackagedProgram} run the way it does)
   * started this program: it then installs the environment pipelines are submitted through.
   */
  public static synchronized boolean launchedByFlinkClient() {
    // The client loads the program in a class loader of its own; checked first, so that a
    // command line run does not load Flink to find out.
    return EmbeddedFlink.class.getClassLoader() != ClassLoader.getSystemClassLoader()
        && base == null
        && !(StreamExecutionEnvironment.getExecutionEnvironment()
            instanceof LocalStreamEnvironment);
  }

  public static synchronized void useForAutoMaster(String confDir) {
    if (base != null
        || !(StreamExecutionEnvironment.getExecutionEnvironment()
            instanceof LocalStreamEnvironment)) {
      return;
    }
    Configuration c =
        confDir == null || confDir.isBlank()
            ? new Configuration()
            : GlobalConfiguration.loadConfiguration(confDir);
    // As Beam does for its local environment: no check for leaked class loaders (the job's
    // classes are the application's), managed memory a fraction of the free heap.
    c.setString("classloader.check-leaked-classloader", "false");
    if (!c.containsKey("taskmanager.memory.managed.size")) {
      long free =
          Runtime.getRuntime().maxMemory()
              - (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
      c.setString("taskmanager.memory.managed.size", String.valueOf((long) (free * 0.4)));
    }
    if (!c.contains(BatchExecutionOptions.ADAPTIVE_AUTO_PARALLELISM_ENABLED)) {
      c.set(BatchExecutionOptions.ADAPTIVE_AUTO_PARALLELISM_ENABLED, false);
    }
    c.set(RestOptions.BIND_PORT, "0");
    // The heartbeat reads a running job's progress from its REST metrics (FlinkProgressWatch):
    // fetched from the task manager every second instead of every 10.
    if (!c.contains(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL)) {
      c.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, 1000L);
    }
    base = c;
    ContextInstaller.install(
        conf -> {
          Configuration merged = new Configuration(base);
          merged.addAll(conf);
          merged.set(DeploymentOptions.TARGET, Executor.NAME);
          merged.set(DeploymentOptions.ATTACHED, true);
          return new StreamExecutionEnvironment(
              new ExecutorLoader(), merged, Thread.currentThread().getContextClassLoader());
        });
  }

  /**
   * Starts a cluster with {@code slots} slots in the background, for the first pipeline to take.
   */
  public static synchronized void prestart(int slots) {
    if (base == null || starting != null || !IDLE.isEmpty()) {
      return;
    }
    starting =
        CompletableFuture.supplyAsync(
            () -> start(slots),
            r -> {
              Thread t = new Thread(r, "flink-embedded-prestart");
              t.setDaemon(true);
              t.start();
            });
  }

  /** The REST addresses of this process's clusters, idle or running a job. */
  static List<String> restAddresses() {
    List<Cluster> all;
    synchronized (EmbeddedFlink.class) {
      all = new java.util.ArrayList<>(IDLE);
      all.addAll(LENT);
    }
    List<String> addresses = new java.util.ArrayList<>();
    for (Cluster c : all) {
      try {
        addresses.add(c.cluster().getRestAddress().get(10, TimeUnit.SECONDS).toString());
      } catch (Exception e) {
        // Closing or not started: it runs no job to watch.
      }
    }
    return addresses;
  }

  /** How many clusters this process started. */
  static synchronized int clustersStarted() {
    return started;
  }

  private static Cluster start(int slots) {
    Configuration c;
    synchronized (EmbeddedFlink.class) {
      c = new Configuration(base);
      started++;
    }
    MiniCluster cluster =
        new MiniCluster(
            new MiniClusterConfiguration.Builder()
                .setConfiguration(c)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(slots)
                .setRpcServiceSharing(RpcServiceSharing.SHARED)
                .build());
    try {
      cluster.start();
    } catch (Exception e) {
      cluster.closeAsync();
      throw new IllegalStateException(
          "the embedded Flink cluster did not start: " + e.getMessage(), e);
    }
    return new Cluster(cluster, slots);
  }

  /**
   * An idle cluster with at least {@code slots} slots (the one being prestarted, if it fits), else
   * a new one.
   */
  private static Cluster lend(int slots) throws Exception {
    CompletableFuture<Cluster> pending;
    synchronized (EmbeddedFlink.class) {
      pending = starting;
      starting = null;
    }
    if (pending != null) {
      try {
        release(pending.join());
      } catch (RuntimeException e) {
        // A failed prestart: the job starts its own below and reports that failure, if it recurs.
      }
    }
    while (true) {
      Cluster c;
      synchronized (EmbeddedFlink.class) {
        c = IDLE.pollFirst();
      }
      if (c == null) {
        return lent(start(slots));
      }
      if (c.slots() >= slots && c.cluster().isRunning() && allJobsEnded(c.cluster())) {
        return lent(c);
      }
      c.cluster().closeAsync();
    }
  }

  private static synchronized Cluster lent(Cluster c) {
    LENT.add(c);
    return c;
  }

  private static boolean allJobsEnded(MiniCluster cluster) {
    try {
      return cluster.listJobs().get(10, TimeUnit.SECONDS).stream()
          .allMatch(j -> j.getJobState().isGloballyTerminalState());
    } catch (Exception e) {
      return false;
    }
  }

  /** Back from a job: kept if no other cluster is idle, else closed. */
  private static void release(Cluster c) {
    boolean keep;
    synchronized (EmbeddedFlink.class) {
      LENT.remove(c);
      keep = IDLE.isEmpty() && base != null;
      if (keep) {
        IDLE.addFirst(c);
      }
    }
    if (!keep) {
      c.cluster().closeAsync();
    }
  }

  /**
   * Closes the kept clusters; called at JVM exit by {@link SharedRpcSystemLoader}'s hook before it
   * closes their RPC system (a cluster closing after it never finishes).
   */
  static void closeAll() {
    java.util.List<CompletableFuture<Void>> closing = new java.util.ArrayList<>();
    synchronized (EmbeddedFlink.class) {
      base = null;
      for (Cluster c : IDLE) {
        closing.add(c.cluster().closeAsync());
      }
      IDLE.clear();
    }
    try {
      CompletableFuture.allOf(closing.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Exiting anyway; Flink's own hooks remove its temporary directories.
    }
  }

  /** Submits a pipeline's job graph to a lent cluster; the cluster comes back when the job ends. */
  private static final class Executor implements PipelineExecutor, PipelineExecutorFactory {
    static final String NAME = "reindex-embedded";

    @Override
    public String getName() {
      return NAME;
    }

    @Override
    public boolean isCompatibleWith(Configuration configuration) {
      return NAME.equals(configuration.get(DeploymentOptions.TARGET));
    }

    @Override
    public PipelineExecutor getExecutor(Configuration configuration) {
      return this;
    }

    @Override
    public CompletableFuture<JobClient> execute(
        Pipeline pipeline, Configuration configuration, ClassLoader userCodeClassloader)
        throws Exception {
      JobGraph jobGraph =
          PipelineExecutorUtils.getJobGraph(pipeline, configuration, userCodeClassloader);
      Cluster lent = lend(Math.max(1, jobGraph.getMaximumParallelism()));
      MiniCluster cluster = lent.cluster();
      try {
        JobID id = cluster.submitJob(jobGraph).get().getJobID();
        cluster.requestJobResult(id).whenComplete((result, failure) -> release(lent));
        ClientUtils.waitUntilJobInitializationFinished(
            () -> cluster.getJobStatus(id).get(),
            () -> cluster.requestJobResult(id).get(),
            userCodeClassloader);
        return CompletableFuture.completedFuture(
            new MiniClusterJobClient(
                id,
                cluster,
                userCodeClassloader,
                MiniClusterJobClient.JobFinalizationBehavior.NOTHING));
      } catch (Exception e) {
        // Not handed back: a cluster that failed a submission is not trusted with the next.
        synchronized (EmbeddedFlink.class) {
          LENT.remove(lent);
        }
        cluster.closeAsync();
        throw e;
      }
    }
  }

  private static final class ExecutorLoader implements PipelineExecutorServiceLoader {
    private static final Executor EXECUTOR = new Executor();

    @Override
    public PipelineExecutorFactory getExecutorFactory(Configuration configuration) {
      return EXECUTOR;
    }

    @Override
    public Stream<String> getExecutorNames() {
      return Stream.of(Executor.NAME);
    }
  }

  /** Flink sets its context environment through a protected method of the environment class. */
  private static final class ContextInstaller extends StreamExecutionEnvironment {
    static void install(
        org.apache.flink.streaming.api.environment.StreamExecutionEnvironmentFactory factory) {
      initializeContextEnvironment(factory);
    }
  }
}
