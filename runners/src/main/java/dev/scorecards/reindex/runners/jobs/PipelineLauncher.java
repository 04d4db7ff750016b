package dev.scorecards.reindex.runners.jobs;

import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.postgres.PostgresSettings;
import dev.scorecards.reindex.proto.ReindexProcessScorecardsInput;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.run.ResumableReindex;
import dev.scorecards.reindex.runners.FlinkRest;
import dev.scorecards.reindex.runners.Launch;
import dev.scorecards.reindex.runners.ReindexSettings;
import dev.scorecards.reindex.runners.Setting;
import dev.scorecards.reindex.runners.Settings;
import dev.scorecards.reindex.verify.VerificationReport;
import dev.scorecards.reindex.verify.Verifier;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Launches the process reindex for a job: the same run and verification as {@code reindex run}, on
 * the runner, chunk size and back-off the server was started with.
 */
public final class PipelineLauncher implements JobHandler.Launcher {
  /** The settings' defaults, for an input that leaves attempts or heartbeat out. */
  private static final Settings DEFAULTS = Settings.fromEnvironment(Map.of());

  private final Launch launch;
  private final Set<String> cancelled = ConcurrentHashMap.newKeySet();

  public PipelineLauncher(Launch launch) {
    this.launch = launch;
  }

  /** The default launch (DirectRunner) against these databases. */
  public PipelineLauncher(PostgresSettings postgres, ClickHouseSettings clickHouse) {
    this(Launch.of(DEFAULTS, List.of(), Map.of()).withConnections(postgres, clickHouse));
  }

  @Override
  public JobHandler.Counts launch(
      ReindexProcessScorecardsInput input, JobHandler.ProgressSink progress) throws Exception {
    ReindexWindow window =
        ReindexWindow.of(
            Instant.ofEpochSecond(
                input.getStartTime().getSeconds(), input.getStartTime().getNanos()),
            Instant.ofEpochSecond(input.getEndTime().getSeconds(), input.getEndTime().getNanos()));
    ReindexSettings job =
        new ReindexSettings(
            Mode.process,
            window,
            input.getBatchSize(),
            input.getCleanUpBeforeWrite(),
            input.getMaxAttempts() > 0
                ? input.getMaxAttempts()
                : DEFAULTS.integer(Setting.MAX_ATTEMPTS, 1, 100),
            input.hasHeartbeatTimeout()
                    && (input.getHeartbeatTimeout().getSeconds() > 0
                        || input.getHeartbeatTimeout().getNanos() > 0)
                ? java.time.Duration.ofSeconds(
                    input.getHeartbeatTimeout().getSeconds(),
                    input.getHeartbeatTimeout().getNanos())
                : DEFAULTS.duration(Setting.HEARTBEAT_TIMEOUT));
    ReindexConfig config = launch.config(job);
    ResumableReindex.Policy policy = launch.policy(job);
    Supplier<PipelineOptions> base = launch.runner().pipelineOptionsInBackground();
    String name = flinkJobName(input.getJobId());
    Supplier<PipelineOptions> options =
        () -> {
          if (cancelled.contains(input.getJobId())) {
            // Checked before each chunk: a cancelled job submits nothing more.
            throw new CancellationException("the job " + input.getJobId() + " was cancelled");
          }
          PipelineOptions o = base.get();
          o.setJobName(name);
          return o;
        };
    ResumableReindex.Outcome outcome;
    try {
      outcome = run(config, policy, options, progress);
    } finally {
      // A chunk being submitted when the job was cancelled reaches the cluster afterwards.
      if (cancelled.remove(input.getJobId())) {
        cancelOnCluster(input.getJobId());
      }
    }
    // The job API's counts (proto/) are its own contract: the scorecard and score tables'.
    return new JobHandler.Counts(
        outcome.written().get(ClickHouseTable.SCORECARDS),
        outcome.written().get(ClickHouseTable.SCORES),
        outcome.deleted().get(ClickHouseTable.SCORECARDS),
        outcome.deleted().get(ClickHouseTable.SCORES));
  }

  /** The name of a job's pipelines: a cluster's jobs of one reindex job are found by it. */
  public static String flinkJobName(String jobId) {
    return "reindex-job-" + jobId;
  }

  @Override
  public void cancel(String jobId) {
    cancelled.add(jobId);
    cancelOnCluster(jobId);
  }

  private void cancelOnCluster(String jobId) {
    String master = launch.runner().flinkMaster();
    if (master == null) {
      return;
    }
    // The job's own thread gets here interrupted; the request must still go out.
    boolean interrupted = Thread.interrupted();
    try {
      new FlinkRest(master).cancelNamed(flinkJobName(jobId));
    } catch (IOException | InterruptedException e) {
      System.err.println(
          "reindex serve: could not cancel the Flink jobs of job "
              + jobId
              + " on "
              + master
              + ": "
              + e.getMessage());
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static ResumableReindex.Outcome run(
      ReindexConfig config,
      ResumableReindex.Policy policy,
      Supplier<PipelineOptions> options,
      JobHandler.ProgressSink progress)
      throws Exception {
    return ResumableReindex.run(
        config,
        policy,
        options,
        null,
        c -> {
          VerificationReport report = new Verifier(c.postgres(), c.clickHouse()).verify(c.window());
          return report.equal()
              ? null
              : report.tables().stream()
                  .map(
                      t ->
                          t.table()
                              + " "
                              + t.missing().size()
                              + " missing, "
                              + t.extra().size()
                              + " extra, "
                              + t.different().size()
                              + " different")
                  .reduce((a, b) -> a + "; " + b)
                  .orElse("");
        },
        new ResumableReindex.Listener() {
          @Override
          public void progress(long done, long total) {
            progress.progress(done, total);
          }
        });
  }
}
