package dev.scorecards.reindex.runners.jobs;

import dev.scorecards.reindex.pipeline.Mode;
import dev.scorecards.reindex.pipeline.ClickHouseSettings;
import dev.scorecards.reindex.pipeline.PostgresSettings;
import dev.scorecards.reindex.pipeline.ReindexConfig;
import dev.scorecards.reindex.pipeline.ReindexJob;
import dev.scorecards.reindex.pipeline.ReindexWindow;
import dev.scorecards.reindex.proto.ReindexProcessScorecardsInput;
import dev.scorecards.reindex.runners.RunnerOptions;
import dev.scorecards.reindex.verify.VerificationReport;
import dev.scorecards.reindex.verify.Verifier;
import java.time.Instant;

/** Launches the process reindex for a job: the same run and verification as {@code reindex run}. */
public final class PipelineLauncher implements JobHandler.Launcher {
  private final PostgresSettings postgres;
  private final ClickHouseSettings clickHouse;

  public PipelineLauncher(PostgresSettings postgres, ClickHouseSettings clickHouse) {
    this.postgres = postgres;
    this.clickHouse = clickHouse;
  }

  @Override
  public JobHandler.Counts launch(ReindexProcessScorecardsInput input, JobHandler.ProgressSink progress) throws Exception {
    ReindexWindow window = ReindexWindow.of(
        Instant.ofEpochSecond(input.getStartTime().getSeconds(), input.getStartTime().getNanos()),
        Instant.ofEpochSecond(input.getEndTime().getSeconds(), input.getEndTime().getNanos()));
    ReindexConfig config = ReindexConfig.of(Mode.process, window, postgres, clickHouse)
        .withBatchSize(input.getBatchSize())
        .withCleanUpBeforeWrite(input.getCleanUpBeforeWrite());
    ReindexJob.Summary summary = ReindexJob.run(config, RunnerOptions.direct(), new ReindexJob.Progress() {
      private long total;

      @Override
      public void started(long t) {
        total = t;
        progress.progress(0, t);
      }

      @Override
      public void advanced(long done) {
        progress.progress(done, total);
      }
    });
    VerificationReport report = new Verifier(postgres, clickHouse).verify(window);
    if (!report.equal()) {
      throw new IllegalStateException("ClickHouse does not match PostgreSQL for the window after the run: "
          + report.tables().stream().map(t -> t.table() + " " + t.missing().size() + " missing, " + t.extra().size() + " extra, "
              + t.different().size() + " different").reduce((a, b) -> a + "; " + b).orElse(""));
    }
    return new JobHandler.Counts(summary.scorecardsWritten(), summary.scoresWritten(), summary.scorecardRowsDeleted(), summary.scoreRowsDeleted());
  }
}
