package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.pipeline.Mode;
import dev.scorecards.reindex.pipeline.ReindexConfig;
import dev.scorecards.reindex.pipeline.ReindexJob;
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

  @Mixin ConnectionOptions connections;

  @Mixin RunnerOptions runnerOptions;

  @Override
  public Integer call() throws Exception {
    ReindexSettings effective = settings.resolve();
    ReindexConfig config = config(effective);
    PrintStream out = System.out;
    out.println("reindex run, effective configuration:");
    effective.describe().forEach(out::println);
    out.println("  source:  " + config.postgres());
    out.println("  target:  " + config.clickHouse());
    out.println("  runner:  " + runnerOptions.describe());
    ReindexJob.Summary summary = ReindexJob.run(config, runnerOptions.pipelineOptions(), progress());
    out.println("reindex run finished");
    out.println(summary.describe());
    if (noVerify) {
      return ExitCodes.OK;
    }
    if (VerifyCommand.verify(config, null, false) != ExitCodes.OK) {
      System.err.println("reindex: ClickHouse does not match PostgreSQL for the window after the run (see the differences above)");
      return ExitCodes.DIFFERENCES;
    }
    return ExitCodes.OK;
  }

  /**
   * One run of a window as the scheduler launches it: the reindex, then its verification.
   * Returns one line (mode, counts, verification); throws when the run or the verification fails.
   */
  static String runQuietly(ReindexConfig config, RunnerOptions runner) throws Exception {
    ReindexJob.Summary s = ReindexJob.run(config, runner.pipelineOptions(), ReindexJob.Progress.NONE);
    dev.scorecards.reindex.verify.VerificationReport report =
        new dev.scorecards.reindex.verify.Verifier(config.postgres(), config.clickHouse()).verify(config.window(), config.mode());
    String line = String.format("mode %s, %,d conversations, %,d scorecards, %,d scores written, %,d rows deleted; verification %s",
        config.mode(), s.conversationsWritten(), s.scorecardsWritten(), s.scoresWritten(),
        s.conversationRowsDeleted() + s.scorecardRowsDeleted() + s.scoreRowsDeleted(), report.equal() ? "equal" : "FOUND DIFFERENCES");
    if (!report.equal()) {
      throw new IllegalStateException(line);
    }
    return line;
  }

  /** Validates every flag into one immutable configuration, before anything touches a database. */
  ReindexConfig config(ReindexSettings effective) {
    return ReindexConfig.of(effective.mode(), effective.window(), connections.postgres(), connections.clickHouse())
        .withBatchSize(effective.batchSize())
        .withCleanUpBeforeWrite(effective.cleanUpBeforeWrite())
        .withInsertBlockSize(insertBlockSize)
        .withPartitioning(rowsPerPartition, maxPartitions);
  }

  /** A progress bar on a terminal; nothing when the output goes elsewhere. */
  static ReindexJob.Progress progress() {
    if (System.console() == null) {
      return ReindexJob.Progress.NONE;
    }
    return new ReindexJob.Progress() {
      private ProgressBar bar;

      @Override
      public void started(long total) {
        bar = new ProgressBarBuilder().setTaskName("scorecards").setInitialMax(total)
            .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).showSpeed().build();
      }

      @Override
      public void advanced(long done) {
        bar.stepTo(done);
      }

      @Override
      public void finished() {
        bar.close();
      }
    };
  }
}
