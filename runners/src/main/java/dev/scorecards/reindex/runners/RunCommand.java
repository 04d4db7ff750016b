package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.run.ReindexJob;
import dev.scorecards.reindex.run.ResumableReindex;
import dev.scorecards.reindex.run.RunLedger;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code reindex run}: one reindex of a window, on the DirectRunner. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Reindex the scorecards of a window [start, end) into ClickHouse.")
public class RunCommand implements Callable<Integer> {
  @Mixin SettingsOptions settings;

  @Option(names = "--insert-block-size", defaultValue = "100000", description = "most rows in one ClickHouse INSERT (default: ${DEFAULT-VALUE})")
  int insertBlockSize;

  @Option(names = "--rows-per-partition", defaultValue = "50000", description = "scorecards per partition of the range read (default: ${DEFAULT-VALUE})")
  long rowsPerPartition;

  @Option(names = "--max-partitions", defaultValue = "64", description = "most partitions of the range read (default: ${DEFAULT-VALUE})")
  int maxPartitions;

  @Option(names = "--no-verify", description = "skip the verification that ends every run")
  boolean noVerify;

  @Option(names = "--resume", paramLabel = "RUN_ID",
      description = "resume this unfinished run (its mode, window and clean-up choice), skipping the chunks it finished; "
          + "without it, an unfinished run of the same mode and window is resumed")
  String resume;

  @Option(names = "--chunk-scorecards",
      description = "scorecards per chunk, the unit of progress that a resumed run skips (default: 100000 on the DirectRunner, 200000 on Flink)")
  Long chunkScorecards;

  @Option(names = "--retry-backoff", defaultValue = "2s", description = "wait before the second attempt, doubled for each next one up to 1m (default: ${DEFAULT-VALUE})")
  String retryBackoff;

  @Mixin ConnectionOptions connections;

  @Mixin RunnerOptions runnerOptions;

  @Override
  public Integer call() throws Exception {
    ReindexSettings effective = settings.resolve();
    ReindexConfig config = config(effective);
    ResumableReindex.Policy policy = policy(effective);
    if (resume != null) {
      RunLedger.requireRunId(resume);
    }
    PrintStream out = System.out;
    out.println("reindex run, effective configuration:");
    effective.describe().forEach(out::println);
    out.println("  source:  " + config.postgres());
    out.println("  target:  " + config.clickHouse());
    out.println("  runner:  " + runnerOptions.describe());
    ResumableReindex.Outcome outcome;
    try (ProgressListener listener = new ProgressListener(out)) {
      outcome = ResumableReindex.run(config, policy, runnerOptions.pipelineOptionsInBackground(), resume,
          noVerify ? null : RunCommand::verification, listener);
    }
    out.println("reindex run finished");
    if (outcome.summaries().size() == 1) {
      out.println(outcome.summaries().get(0).describe());
    }
    out.println(outcome.describe());
    return ExitCodes.OK;
  }

  /** The verification that ends a run: prints its report; null when equal. */
  static String verification(ReindexConfig config) throws Exception {
    return VerifyCommand.verify(config, null, false) == ExitCodes.OK ? null : "see the differences above";
  }

  ResumableReindex.Policy policy(ReindexSettings effective) {
    long perChunk = chunkScorecards == null ? runnerOptions.defaultScorecardsPerChunk() : chunkScorecards;
    if (perChunk < 1) {
      throw new IllegalArgumentException("the chunk size must be at least 1 scorecard, not " + perChunk);
    }
    return ResumableReindex.Policy.of(effective.maxAttempts(), effective.heartbeatTimeout())
        .withBackoff(backoff(retryBackoff), java.time.Duration.ofMinutes(1))
        .withScorecardsPerChunk(perChunk);
  }

  static java.time.Duration backoff(String text) {
    try {
      return ReindexSettings.duration(ReindexSettings.Setting.HEARTBEAT_TIMEOUT, text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the retry back-off '" + text + "' is not a positive duration such as 2s or 500ms");
    }
  }

  /**
   * One run of a window as the scheduler launches it: the resumable reindex, then its
   * verification. Returns one line (mode, counts, verification); throws when the run or the
   * verification fails.
   */
  static String runQuietly(ReindexConfig config, ResumableReindex.Policy policy, RunnerOptions runner) throws Exception {
    ResumableReindex.Outcome o = ResumableReindex.run(config, policy, runner.pipelineOptions(), null,
        c -> new dev.scorecards.reindex.verify.Verifier(c.postgres(), c.clickHouse()).verify(c.window(), c.mode()).equal() ? null : "found differences",
        ResumableReindex.Listener.NONE);
    return String.format("mode %s, run %s, %,d conversations, %,d scorecards, %,d scores written, %,d rows deleted; verification equal",
        config.mode(), o.run().runId(), o.conversationsWritten(), o.scorecardsWritten(), o.scoresWritten(), o.rowsDeleted());
  }

  /** Validates every flag into one immutable configuration, before anything touches a database. */
  ReindexConfig config(ReindexSettings effective) {
    return ReindexConfig.of(effective.mode(), effective.window(), connections.postgres(), connections.clickHouse())
        .withBatchSize(effective.batchSize())
        .withCleanUpBeforeWrite(effective.cleanUpBeforeWrite())
        .withInsertBlockSize(insertBlockSize)
        .withPartitioning(rowsPerPartition, maxPartitions);
  }

  /** Run and chunk lines on stderr; a progress bar when on a terminal. */
  static final class ProgressListener implements ResumableReindex.Listener, AutoCloseable {
    private final PrintStream out;
    private ProgressBar bar;

    ProgressListener(PrintStream out) {
      this.out = out;
    }

    @Override
    public synchronized void log(String line) {
      if (bar != null) {
        bar.close();
        bar = null;
      }
      out.println("reindex: " + line);
    }

    @Override
    public synchronized void progress(long done, long total) {
      if (System.console() == null) {
        return;
      }
      if (bar == null) {
        bar = new ProgressBarBuilder().setTaskName("scorecards").setInitialMax(total)
            .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).showSpeed().build();
      }
      bar.stepTo(done);
    }

    @Override
    public synchronized void close() {
      if (bar != null) {
        bar.close();
      }
    }
  }
}
