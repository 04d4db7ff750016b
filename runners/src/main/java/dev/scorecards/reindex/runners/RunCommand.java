package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.run.ResumableReindex;
import dev.scorecards.reindex.run.RunLedger;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code reindex run}: one reindex of a window, on the DirectRunner or on Flink. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Reindex the scorecards of a window [start, end) into ClickHouse.")
public class RunCommand extends ReindexCommand implements Callable<Integer> {
  @Option(names = "--no-verify", description = "skip the verification that ends every run")
  boolean noVerify;

  @Option(
      names = "--resume",
      paramLabel = "RUN_ID",
      description =
          "resume this unfinished run (its mode, window and clean-up choice), skipping the chunks it finished; "
              + "without it, an unfinished run of the same mode and window is resumed")
  String resume;

  @Override
  public Integer call() throws Exception {
    Settings settings = settings();
    ReindexSettings effective = job(settings);
    Launch launch = launch(settings);
    ReindexConfig config = launch.config(effective);
    ResumableReindex.Policy policy = launch.policy(effective);
    if (resume != null) {
      RunLedger.requireRunId(resume);
    }
    PrintStream out = System.out;
    out.println("reindex run, effective configuration:");
    launch.describe(effective).forEach(out::println);
    ResumableReindex.Outcome outcome;
    try (ProgressListener listener = new ProgressListener(out)) {
      outcome =
          ResumableReindex.run(
              config,
              policy,
              launch.runner().pipelineOptionsInBackground(),
              resume,
              noVerify ? null : RunCommand::verification,
              listener);
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
    return VerifyCommand.verify(config, null, false) == ExitCodes.OK
        ? null
        : "see the differences above";
  }

  /**
   * One run of a window as the scheduler launches it: the resumable reindex, then its verification.
   * Returns one line (mode, counts, verification); throws when the run or the verification fails.
   */
  static String runQuietly(
      ReindexConfig config, ResumableReindex.Policy policy, RunnerOptions runner) throws Exception {
    ResumableReindex.Outcome o =
        ResumableReindex.run(
            config,
            policy,
            runner.pipelineOptionsInBackground(),
            null,
            c ->
                new dev.scorecards.reindex.verify.Verifier(c.postgres(), c.clickHouse())
                        .verify(c.window(), c.mode())
                        .equal()
                    ? null
                    : "found differences",
            ResumableReindex.Listener.NONE);
    return String.format(
        "mode %s, run %s, %s written, %,d rows deleted; verification equal",
        config.mode(), o.run().runId(), o.written().describe(), o.deleted().total());
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
        bar =
            new ProgressBarBuilder()
                .setTaskName("scorecards")
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(500)
                .showSpeed()
                .build();
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
