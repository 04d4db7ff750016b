package dev.scorecards.reindex.runners;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import dev.scorecards.reindex.run.ResumableReindex;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import picocli.CommandLine.Option;

/**
 * Which Beam runner executes the pipeline: the DirectRunner on this machine, or Flink,
 * embedded or on a cluster. Only runner settings become pipeline options; nothing secret
 * does (Beam publishes pipeline options in the Flink web UI and REST API).
 */
public class RunnerOptions {
  @Option(names = "--runner", defaultValue = "${env:REINDEX_RUNNER:-DirectRunner}",
      description = "DirectRunner or FlinkRunner (env REINDEX_RUNNER; default: ${DEFAULT-VALUE})")
  String runner;

  @Option(names = "--flink-master", defaultValue = "${env:REINDEX_FLINK_MASTER}",
      description = "HOST:PORT of a Flink cluster's REST endpoint; none runs Flink embedded (env REINDEX_FLINK_MASTER)")
  String flinkMaster;

  @Option(names = "--parallelism", defaultValue = "${env:REINDEX_PARALLELISM:-2}", description = "Flink parallelism (default: ${DEFAULT-VALUE})")
  int parallelism;

  @Option(names = "--direct-parallelism", defaultValue = "${env:REINDEX_DIRECT_PARALLELISM:-0}",
      description = "DirectRunner worker threads (env REINDEX_DIRECT_PARALLELISM; default 0: one per core)")
  int directParallelism;

  @Option(names = "--flink-conf-dir", defaultValue = "${env:REINDEX_FLINK_CONF_DIR}", description = "a Flink configuration directory (flink-conf.yaml)")
  String flinkConfDir;

  /**
   * Scorecards per chunk unless a command line says otherwise. The DirectRunner holds a
   * chunk's rows between its steps (350-400 MB live per 100,000 scorecards), so its chunks
   * bound its memory; Flink streams them, and a chunk costs it a job: translation, deployment,
   * and the JIT's recompilations when the new job changes type profiles. Measured on 2 cores,
   * 200,000 scorecards on the kept embedded cluster: 1.5-1.8 s faster than chunks of 100,000
   * (3 interleaved pairs, session 7; session 5 had measured 0.2-1.2 s while each chunk's
   * accounting still cost 2 s). Peak RSS from 100,000 to 1,000,000 scorecards: +15% with the
   * launcher's Flink heap (survivor spaces of a quarter of the young generation; README, issue 7).
   */
  long defaultScorecardsPerChunk() {
    return runner.equals("FlinkRunner") ? 2 * ResumableReindex.Policy.DEFAULT_SCORECARDS_PER_CHUNK
        : ResumableReindex.Policy.DEFAULT_SCORECARDS_PER_CHUNK;
  }

  /** Flink's bundle size; ClickHouseIO sends one INSERT per bundle, so this bounds INSERT sizes from above. */
  static final long FLINK_MAX_BUNDLE_SIZE = 100_000;

  public static DirectOptions direct() {
    DirectOptions options = PipelineOptionsFactory.as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    options.setBlockOnRun(false);
    options.setJobName("reindex");
    // The DirectRunner's checks encode and compare every element: useful while writing a
    // pipeline, a several-fold slowdown when running one.
    options.setEnforceImmutability(false);
    options.setEnforceEncodability(false);
    options.setTargetParallelism(defaultDirectParallelism());
    return options;
  }

  /**
   * The DirectRunner's worker threads: one per core. Its driver resubmits itself to the same
   * pool without pausing, so idle worker threads spin through the watermark and timer
   * bookkeeping (JFR: a fifth of the samples at Beam's default of 3 threads on 2 cores); until
   * session 7 the default was one fewer than the cores for that reason (1 thread: 20.7-20.8 s
   * against 21.4-22.1 s at 3). Since a chunk's read partitions hold equal shares (quantiles,
   * not time slices), two threads on 2 cores each read and write one: 200,000 scorecards
   * 14.16-15.03 s against 15.60-17.00 s at 1 thread (4 interleaved pairs, ~2 CPU s more).
   */
  static int defaultDirectParallelism() {
    return Runtime.getRuntime().availableProcessors();
  }

  static DirectOptions direct(int parallelism) {
    checkDirect(parallelism);
    DirectOptions options = direct();
    options.setTargetParallelism(parallelism);
    return options;
  }

  /** The DirectRunner's worker threads: as given, or the default for 0. */
  private int directThreads() {
    return directParallelism == 0 ? defaultDirectParallelism() : directParallelism;
  }

  String describe() {
    if (runner.equals("DirectRunner")) {
      int threads = directThreads();
      return runner + " (" + threads + " worker thread" + (threads == 1 ? "" : "s") + ")";
    }
    return runner + (runner.equals("FlinkRunner")
        ? " (" + (flinkMaster == null || flinkMaster.isBlank() ? "embedded" : flinkMaster) + ", parallelism " + parallelism + ")" : "");
  }

  PipelineOptions pipelineOptions() {
    switch (runner) {
      case "DirectRunner":
        return direct(directThreads());
      case "FlinkRunner":
        FlinkPipelineOptions options = flink(flinkMaster, parallelism, flinkConfDir);
        // The embedded cluster starts while the run counts and plans its chunks.
        EmbeddedFlink.prestart(parallelism);
        return options;
      default:
        throw unknownRunner();
    }
  }

  private IllegalArgumentException unknownRunner() {
    return new IllegalArgumentException("the runner '" + runner + "' is not one of DirectRunner, FlinkRunner");
  }

  private static void checkDirect(int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("the DirectRunner's parallelism must be at least 1, not " + parallelism);
    }
  }

  /**
   * The pipeline options, created in a thread of their own: the flags are checked here, so a
   * bad one still fails before anything touches a database, while Beam's registry of options
   * interfaces (about half a second of class loading and checks) starts up as the run reaches
   * its ledger, counts and plans its chunks.
   */
  java.util.function.Supplier<PipelineOptions> pipelineOptionsInBackground() {
    switch (runner) {
      case "DirectRunner":
        checkDirect(directThreads());
        break;
      case "FlinkRunner":
        checkFlink(flinkMaster, parallelism);
        if (flinkMaster != null && !flinkMaster.isBlank()) {
          bundledJar();
        }
        break;
      default:
        throw unknownRunner();
    }
    java.util.concurrent.CompletableFuture<PipelineOptions> created = new java.util.concurrent.CompletableFuture<>();
    Thread creator = new Thread(() -> {
      try {
        created.complete(pipelineOptions());
      } catch (Throwable t) {
        created.completeExceptionally(t);
      }
    }, "reindex-pipeline-options");
    creator.setDaemon(true);
    creator.start();
    return () -> {
      try {
        return created.join();
      } catch (java.util.concurrent.CompletionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
    };
  }

  private static void checkFlink(String master, int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException("the parallelism must be at least 1, not " + parallelism);
    }
    if (master != null && !master.isBlank() && !master.matches("[A-Za-z0-9.\\-]+:\\d{1,5}")) {
      throw new IllegalArgumentException("the Flink master '" + master + "' is not HOST:PORT");
    }
  }

  public static FlinkPipelineOptions flink(String master, int parallelism, String confDir) {
    checkFlink(master, parallelism);
    FlinkPipelineOptions options = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setJobName("reindex");
    options.setParallelism(parallelism);
    options.setMaxBundleSize(FLINK_MAX_BUNDLE_SIZE);
    options.setMaxBundleTimeMills(10_000L);
    options.setAttachedMode(true);
    // Elements are not mutated downstream: skip Flink's defensive copies between operators.
    options.setFasterCopy(true);
    options.setObjectReuse(true);
    // Flink's DataStream API in batch execution mode instead of its DataSet API: the DataSet
    // translation could not chain the join's two outputs into the writers, so every score row
    // was encoded with its coder and decoded again between them. Measured on 2 cores, 2 million
    // scores, embedded at parallelism 2: 23.2 s and 28.2 CPU s -> 20.4 s and 20.3 CPU s.
    options.setUseDataStreamForBatch(true);
    if (confDir != null && !confDir.isBlank()) {
      options.setFlinkConfDir(confDir);
    }
    if (master == null || master.isBlank()) {
      // [auto]: embedded when run from the command line (on clusters kept for the process,
      // EmbeddedFlink), the submitting cluster when launched by `flink run`.
      options.setFlinkMaster("[auto]");
      EmbeddedFlink.useForAutoMaster(confDir);
    } else {
      options.setFlinkMaster(master);
      options.setFilesToStage(List.of(bundledJar()));
    }
    return options;
  }

  /** The bundled jar this code runs from: what a cluster needs to run the pipeline. */
  public static String bundledJar() {
    try {
      Path self = Path.of(RunnerOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(self) && self.toString().endsWith(".jar") && self.getFileName().toString().contains("bundled")) {
        return self.toString();
      }
    } catch (Exception e) {
      // fall through to the build's location
    }
    Path built = Path.of(System.getProperty("reindex.home", "."), "runners", "target", "reindex-bundled-0.1.0-SNAPSHOT.jar");
    if (!Files.isRegularFile(built)) {
      built = Path.of("..", "runners", "target", "reindex-bundled-0.1.0-SNAPSHOT.jar");
    }
    if (!Files.isRegularFile(built)) {
      throw new IllegalStateException("the bundled jar to stage on the Flink cluster was not found; build it with ./reindex build");
    }
    return built.toAbsolutePath().normalize().toString();
  }
}
