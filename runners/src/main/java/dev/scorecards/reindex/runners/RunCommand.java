package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.pipeline.ReindexConfig;
import dev.scorecards.reindex.pipeline.ReindexJob;
import dev.scorecards.reindex.pipeline.ReindexWindow;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code reindex run}: one reindex of a window, on the DirectRunner. */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Reindex the scorecards of a window [start, end) into ClickHouse.")
public class RunCommand implements Callable<Integer> {
  /** The modes of the reindex; only the process flow exists so far. */
  enum Mode { conversation, process, all }

  @Option(names = "--mode", defaultValue = "${env:REINDEX_MODE:-process}",
      description = "conversation, process or all (env REINDEX_MODE; default: ${DEFAULT-VALUE})")
  String mode;

  @Option(names = "--start", required = true, description = "RFC 3339 start of the window, inclusive, e.g. 2026-11-01T00:00:00Z")
  String start;

  @Option(names = "--end", required = true, description = "RFC 3339 end of the window, exclusive")
  String end;

  @Option(names = "--clean-up-before-write", description = "delete what ClickHouse holds for the window's scorecards (and orphans) before writing")
  boolean cleanUp;

  @Option(names = "--batch-size", defaultValue = "50", description = "scorecards per PostgreSQL scores query, 1..10000 (default: ${DEFAULT-VALUE})")
  int batchSize;

  @Option(names = "--insert-block-size", defaultValue = "100000", description = "most rows in one ClickHouse INSERT (default: ${DEFAULT-VALUE})")
  int insertBlockSize;

  @Option(names = "--rows-per-partition", defaultValue = "50000", description = "scorecards per partition of the range read (default: ${DEFAULT-VALUE})")
  long rowsPerPartition;

  @Option(names = "--max-partitions", defaultValue = "64", description = "most partitions of the range read (default: ${DEFAULT-VALUE})")
  int maxPartitions;

  @Option(names = "--no-verify", description = "skip the verification that ends every run")
  boolean noVerify;

  @Mixin ConnectionOptions connections;

  @Override
  public Integer call() throws Exception {
    ReindexConfig config = config();
    PrintStream out = System.out;
    out.println("reindex run, effective configuration:");
    out.println(config.describe());
    ReindexJob.Summary summary = ReindexJob.run(config, directOptions(), progress());
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

  /** Validates every flag into one immutable configuration, before anything touches a database. */
  ReindexConfig config() {
    requireProcessMode(mode);
    ReindexWindow window = ReindexWindow.parse(start, end);
    return ReindexConfig.of(window, connections.postgres(), connections.clickHouse())
        .withBatchSize(batchSize)
        .withCleanUpBeforeWrite(cleanUp)
        .withInsertBlockSize(insertBlockSize)
        .withPartitioning(rowsPerPartition, maxPartitions);
  }

  /** Refuses an unknown mode, and the modes not built yet. */
  static void requireProcessMode(String mode) {
    Mode m;
    try {
      m = Mode.valueOf(mode);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the mode '" + mode + "' is not one of conversation, process, all");
    }
    if (m != Mode.process) {
      throw new IllegalArgumentException("the mode '" + mode + "' is not available yet: only process is");
    }
  }

  static DirectOptions directOptions() {
    DirectOptions options = PipelineOptionsFactory.as(DirectOptions.class);
    options.setRunner(DirectRunner.class);
    options.setBlockOnRun(false);
    // The DirectRunner's checks encode and compare every element: useful while writing a
    // pipeline, a several-fold slowdown when running one.
    options.setEnforceImmutability(false);
    options.setEnforceEncodability(false);
    options.setJobName("reindex-process-scorecards");
    return options;
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
