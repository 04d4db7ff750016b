package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.run.ReindexJob;
import dev.scorecards.reindex.run.ResumableReindex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * Which Beam runner executes the pipeline: the DirectRunner on this machine, or Flink, embedded or
 * on a cluster, with any Beam or Flink pipeline options passed through. Only runner settings become
 * pipeline options; nothing secret does (Beam publishes pipeline options in the Flink web UI and
 * REST API). Immutable, but for the cluster's slots, asked once.
 */
public final class RunnerOptions {
  private final String runner;
  private final String flinkMaster;
  private final int parallelism;
  private final int directParallelism;
  private final String flinkConfDir;
  private final boolean stageJar;
  private final List<String> passThrough;

  private RunnerOptions(
      String runner,
      String flinkMaster,
      int parallelism,
      int directParallelism,
      String flinkConfDir,
      boolean stageJar,
      List<String> passThrough) {
    this.runner = runner;
    this.stageJar = stageJar;
    this.flinkMaster = flinkMaster;
    this.parallelism = parallelism;
    this.directParallelism = directParallelism;
    this.flinkConfDir = flinkConfDir;
    this.passThrough = List.copyOf(passThrough);
  }

  /**
   * The runner the settings name, checked; {@code passThrough} are Beam or Flink pipeline options
   * ({@code --name=value}), which must not carry a password.
   */
  public static RunnerOptions from(
      Settings settings, List<String> passThrough, Map<String, String> env) {
    String runner = settings.text(Setting.RUNNER).strip();
    if (!settings.given(Setting.RUNNER) && EmbeddedFlink.launchedByFlinkClient()) {
      // Started by `flink run`: the pipelines go to the cluster that client submits to.
      runner = "FlinkRunner";
    }
    Long parallelism = settings.number(Setting.PARALLELISM, 1, 100_000);
    Long direct = settings.number(Setting.DIRECT_PARALLELISM, 1, 10_000);
    RunnerOptions options =
        new RunnerOptions(
            runner,
            blankToNull(settings.text(Setting.FLINK_MASTER)),
            parallelism == null ? 0 : parallelism.intValue(),
            direct == null ? 0 : direct.intValue(),
            blankToNull(settings.text(Setting.FLINK_CONF_DIR)),
            !"cluster".equals(settings.text(Setting.FLINK_JAR).strip()),
            passThrough);
    String jar = settings.text(Setting.FLINK_JAR).strip();
    if (!jar.equals("stage") && !jar.equals("cluster")) {
      throw new IllegalArgumentException(
          "the Flink jar setting is 'stage' or 'cluster', not '" + jar + "'");
    }
    if (!runner.equals("DirectRunner") && !runner.equals("FlinkRunner")) {
      throw options.unknownRunner();
    }
    if (options.flinkMaster != null) {
      checkFlink(options.flinkMaster, 1);
    }
    for (String arg : passThrough) {
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException(
            "the pipeline option '" + arg + "' is not of the form --name=value");
      }
      for (Setting secret : Setting.values()) {
        String password = secret.secret() ? env.get(secret.env) : null;
        if (password != null && !password.isEmpty() && arg.contains(password)) {
          throw new IllegalArgumentException(
              "a pipeline option carries the value of "
                  + secret.env
                  + ": secrets must never be pipeline options (Beam publishes them)");
        }
      }
    }
    return options;
  }

  private static String blankToNull(String text) {
    return text == null || text.isBlank() ? null : text.strip();
  }

  boolean isFlink() {
    return runner.equals("FlinkRunner");
  }

  /**
   * Scorecards per chunk unless the settings say otherwise. The DirectRunner holds a chunk's rows
   * between its steps, so its chunks bound its memory; Flink streams them, and a chunk costs it a
   * job (translation, deployment), so its chunks are larger.
   */
  long defaultScorecardsPerChunk() {
    if (!isFlink()) {
      return ResumableReindex.Policy.DEFAULT_SCORECARDS_PER_CHUNK;
    }
    long embedded = 2 * ResumableReindex.Policy.DEFAULT_SCORECARDS_PER_CHUNK;
    if (flinkMaster == null) {
      return embedded;
    }
    // On a cluster, a chunk per slot as large as the DirectRunner's: a chunk's fixed cost (a
    // job's submission and deployment, a few seconds) stays small against its work however
    // many slots share it.
    int slots = parallelism > 0 ? parallelism : slots();
    return Math.max(embedded, slots * ResumableReindex.Policy.DEFAULT_SCORECARDS_PER_CHUNK);
  }

  private volatile Integer slots;

  /**
   * With --flink-jar cluster: the cluster's JobManager has a jar of the bundled jar's name on its
   * class path (Flink's REST API lists it; the TaskManagers are expected to match it).
   */
  private void requireBundledJarOnCluster() {
    String name = Path.of(bundledJar()).getFileName().toString();
    List<String> classPath;
    try {
      classPath = new FlinkRest(flinkMaster).jobManagerClassPath();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(
          "cannot read the Flink cluster's class path from " + flinkMaster + ": " + e.getMessage(),
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while asking Flink for its class path", e);
    }
    if (classPath.stream().noneMatch(p -> Path.of(p).getFileName().toString().equals(name))) {
      throw new IllegalArgumentException(
          "--flink-jar cluster: the Flink cluster at "
              + flinkMaster
              + " has no "
              + name
              + " on its class path; put it in the cluster's lib/ or use --flink-jar stage");
    }
  }

  /** The cluster's slots, asked once. */
  private int slots() {
    Integer s = slots;
    if (s == null) {
      s = clusterSlots(flinkMaster);
      slots = s;
    }
    return s;
  }

  /**
   * Flink's bundle size; ClickHouseIO sends one INSERT per bundle, so this bounds INSERT sizes from
   * above.
   */
  static final long FLINK_MAX_BUNDLE_SIZE = 100_000;

  public static DirectOptions direct() {
    return configureDirect(PipelineOptionsFactory.as(DirectOptions.class));
  }

  private static DirectOptions configureDirect(DirectOptions options) {
    return configureDirect(options, Set.of());
  }

  /** Our defaults, for every option not among {@code passed} (the names passed through). */
  private static DirectOptions configureDirect(DirectOptions options, Set<String> passed) {
    options.setRunner(DirectRunner.class);
    options.setBlockOnRun(false);
    if (!passed.contains("jobName")) {
      options.setJobName("reindex");
    }
    // The DirectRunner's checks encode and compare every element: useful while writing a
    // pipeline, a several-fold slowdown when running one.
    if (!passed.contains("enforceImmutability")) {
      options.setEnforceImmutability(false);
    }
    if (!passed.contains("enforceEncodability")) {
      options.setEnforceEncodability(false);
    }
    options.setTargetParallelism(defaultDirectParallelism());
    return options;
  }

  /** Options the tool sets from its own settings; passing them through would contradict those. */
  private static final Map<String, String> OWN =
      Map.of(
          "runner",
          "--runner",
          "flinkMaster",
          "--flink-master",
          "parallelism",
          "--parallelism",
          "targetParallelism",
          "--direct-parallelism",
          "flinkConfDir",
          "--flink-conf-dir",
          "filesToStage",
          "the bundled jar",
          "blockOnRun",
          "the run's own waiting");

  /** The names of the options passed through ({@code --name=value} or {@code --name}). */
  private static Set<String> names(List<String> passThrough) {
    Set<String> names = new java.util.HashSet<>();
    for (String arg : passThrough) {
      String name = arg.substring(2).split("=", 2)[0];
      if (OWN.containsKey(name)) {
        throw new IllegalArgumentException(
            "the pipeline option --" + name + " is the tool's own setting: use " + OWN.get(name));
      }
      names.add(name);
    }
    return names;
  }

  /**
   * The DirectRunner's worker threads: one per core (Beam's default of 3 leaves idle workers
   * spinning through its bookkeeping on small machines, and a chunk's read partitions hold equal
   * shares, so each thread has one to read and write).
   */
  static int defaultDirectParallelism() {
    return Runtime.getRuntime().availableProcessors();
  }

  static DirectOptions direct(int parallelism, List<String> passThrough) {
    checkDirect(parallelism);
    DirectOptions options =
        passThrough.isEmpty()
            ? direct()
            : configureDirect(
                PipelineOptionsFactory.fromArgs(passThrough.toArray(new String[0]))
                    .withValidation()
                    .as(DirectOptions.class),
                names(passThrough));
    options.setTargetParallelism(parallelism);
    return options;
  }

  /** The DirectRunner's worker threads: as given, or the default. */
  private int directThreads() {
    return directParallelism == 0 ? defaultDirectParallelism() : directParallelism;
  }

  /**
   * Flink's parallelism: as given, or one per core when embedded, or -1 for a cluster (resolved to
   * its slots when the pipeline options are made: {@link #clusterSlots}), or -1 under {@code flink
   * run} (its -p or the cluster's default parallelism).
   */
  private int flinkParallelism() {
    if (parallelism > 0) {
      return parallelism;
    }
    if (flinkMaster == null && EmbeddedFlink.launchedByFlinkClient()) {
      return -1;
    }
    return flinkMaster == null ? Runtime.getRuntime().availableProcessors() : -1;
  }

  /**
   * The slots of the Flink cluster at {@code master}, from its REST API: a job submitted with
   * Beam's "default" parallelism runs with one subtask, however many TaskManagers there are.
   */
  static int clusterSlots(String master) {
    try {
      int slots = new FlinkRest(master).slots();
      if (slots < 1) {
        throw new IllegalStateException(
            "the Flink cluster at " + master + " has no task slots (no TaskManager registered)");
      }
      return slots;
    } catch (java.io.IOException e) {
      throw new IllegalStateException(
          "cannot read the Flink cluster's slots from "
              + master
              + " ("
              + e.getClass().getSimpleName()
              + "); give --parallelism",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while asking Flink for its slots", e);
    }
  }

  /** The Flink cluster's REST endpoint runs are submitted to; null when Flink is not a cluster. */
  public String flinkMaster() {
    return isFlink() ? flinkMaster : null;
  }

  String describe() {
    String passed =
        passThrough.isEmpty() ? "" : ", pipeline options " + String.join(" ", passThrough);
    if (!isFlink()) {
      int threads = directThreads();
      return runner + " (" + threads + " worker thread" + (threads == 1 ? "" : "s") + passed + ")";
    }
    int p = flinkParallelism();
    boolean flinkRun = flinkMaster == null && EmbeddedFlink.launchedByFlinkClient();
    return runner
        + " ("
        + (flinkRun ? "the cluster of flink run" : flinkMaster == null ? "embedded" : flinkMaster)
        + ", parallelism "
        + (p > 0 ? Integer.toString(p) : flinkRun ? "flink run's" : "the cluster's slots")
        + passed
        + ")";
  }

  PipelineOptions pipelineOptions() {
    if (!isFlink()) {
      DirectOptions options = direct(directThreads(), passThrough);
      return options;
    }
    int p = flinkParallelism();
    if (flinkMaster != null && !stageJar) {
      requireBundledJarOnCluster();
    }
    FlinkPipelineOptions options =
        flink(
            flinkMaster,
            p > 0 || flinkMaster == null ? p : slots(),
            flinkConfDir,
            passThrough,
            stageJar);
    if (flinkMaster == null) {
      // The embedded cluster starts while the run counts and plans its chunks.
      EmbeddedFlink.prestart(flinkParallelism());
    }
    return options;
  }

  private IllegalArgumentException unknownRunner() {
    return new IllegalArgumentException(
        "the runner '" + runner + "' is not one of DirectRunner, FlinkRunner");
  }

  private static void checkDirect(int parallelism) {
    if (parallelism < 1) {
      throw new IllegalArgumentException(
          "the DirectRunner's parallelism must be at least 1, not " + parallelism);
    }
  }

  /**
   * The pipeline options, created in a thread of their own: the flags are checked here, so a bad
   * one still fails before anything touches a database, while Beam's registry of options interfaces
   * (about half a second of class loading and checks) starts up as the run reaches its ledger,
   * counts and plans its chunks.
   */
  public java.util.function.Supplier<PipelineOptions> pipelineOptionsInBackground() {
    if (!passThrough.isEmpty()) {
      // Options passed through are checked by Beam, before anything touches a database.
      PipelineOptions options = pipelineOptions();
      return () -> options;
    }
    if (isFlink() && flinkMaster != null) {
      bundledJar();
    }
    java.util.concurrent.CompletableFuture<PipelineOptions> created =
        new java.util.concurrent.CompletableFuture<>();
    Thread creator =
        new Thread(
            () -> {
              try {
                created.complete(pipelineOptions());
              } catch (Throwable t) {
                created.completeExceptionally(t);
              }
            },
            "reindex-pipeline-options");
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
    if (parallelism < 1 && parallelism != -1) {
      throw new IllegalArgumentException("the parallelism must be at least 1, not " + parallelism);
    }
    if (master != null && !master.isBlank() && !master.matches("[A-Za-z0-9.\\-]+:\\d{1,5}")) {
      throw new IllegalArgumentException("the Flink master '" + master + "' is not HOST:PORT");
    }
  }

  public static FlinkPipelineOptions flink(String master, int parallelism, String confDir) {
    return flink(master, parallelism, confDir, List.of());
  }

  static FlinkPipelineOptions flink(
      String master, int parallelism, String confDir, List<String> passThrough) {
    return flink(master, parallelism, confDir, passThrough, true);
  }

  /**
   * Flink's options; {@code parallelism} -1 leaves it to the cluster's default. With {@code
   * stageJar} false a cluster's jobs carry only an empty jar: the cluster has the tool's classes.
   */
  static FlinkPipelineOptions flink(
      String master, int parallelism, String confDir, List<String> passThrough, boolean stageJar) {
    checkFlink(master, parallelism);
    ReindexJob.watchWith(FlinkProgressWatch.INSTANCE);
    Set<String> passed = names(passThrough);
    FlinkPipelineOptions options =
        passThrough.isEmpty()
            ? PipelineOptionsFactory.as(FlinkPipelineOptions.class)
            : PipelineOptionsFactory.fromArgs(passThrough.toArray(new String[0]))
                .withValidation()
                .as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setParallelism(parallelism);
    if (!passed.contains("jobName")) {
      options.setJobName("reindex");
    }
    if (!passed.contains("maxBundleSize")) {
      options.setMaxBundleSize(FLINK_MAX_BUNDLE_SIZE);
    }
    if (!passed.contains("maxBundleTimeMills")) {
      options.setMaxBundleTimeMills(10_000L);
    }
    options.setAttachedMode(true);
    // Elements are not mutated downstream: skip Flink's defensive copies between operators.
    if (!passed.contains("fasterCopy")) {
      options.setFasterCopy(true);
    }
    if (!passed.contains("objectReuse")) {
      options.setObjectReuse(true);
    }
    // Flink's DataStream API in batch execution mode: the DataSet translation could not chain
    // the join's two outputs into the writers, so every score row was encoded and decoded again.
    if (!passed.contains("useDataStreamForBatch")) {
      options.setUseDataStreamForBatch(true);
    }
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
      Path bundled = Path.of(bundledJar());
      options.setFilesToStage(
          List.of((stageJar ? FlinkJobJar.of(bundled) : FlinkJobJar.empty(bundled)).toString()));
    }
    return options;
  }

  /** The bundled jar this code runs from: what a cluster needs to run the pipeline. */
  public static String bundledJar() {
    try {
      Path self =
          Path.of(RunnerOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(self)
          && self.toString().endsWith(".jar")
          && self.getFileName().toString().contains("bundled")) {
        return self.toString();
      }
    } catch (Exception e) {
      // fall through to the build's location
    }
    Path built =
        Path.of(
            System.getProperty("reindex.home", "."),
            "runners",
            "target",
            "reindex-bundled-0.1.0-SNAPSHOT.jar");
    if (!Files.isRegularFile(built)) {
      built = Path.of("..", "runners", "target", "reindex-bundled-0.1.0-SNAPSHOT.jar");
    }
    if (!Files.isRegularFile(built)) {
      throw new IllegalStateException(
          "the bundled jar to stage on the Flink cluster was not found; build it with ./reindex build");
    }
    return built.toAbsolutePath().normalize().toString();
  }
}
