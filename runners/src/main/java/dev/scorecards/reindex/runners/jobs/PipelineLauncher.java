package dev.scorecards.reindex.runners.jobs;

import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.postgres.PostgresSettings;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.run.ReindexJob;
import dev.scorecards.reindex.run.ResumableReindex;
import dev.scorecards.reindex.model.ReindexWindow;
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
    ResumableReindex.Policy policy = ResumableReindex.Policy.of(
        input.getMaxAttempts() > 0 ? input.getMaxAttempts() : 6,
        input.hasHeartbeatTimeout() && (input.getHeartbeatTimeout().getSeconds() > 0 || input.getHeartbeatTimeout().getNanos() > 0)
            ? java.time.Duration.ofSeconds(input.getHeartbeatTimeout().getSeconds(), input.getHeartbeatTimeout().getNanos())
            : java.time.Duration.ofMinutes(5));
    ResumableReindex.Outcome outcome = ResumableReindex.run(config, policy, RunnerOptions.direct(), null, c -> {
      VerificationReport report = new Verifier(c.postgres(), c.clickHouse()).verify(c.window());
      return report.equal() ? null : report.tables().stream()
          .map(t -> t.table() + " " + t.missing().size() + " missing, " + t.extra().size() + " extra, " + t.different().size() + " different")
          .reduce((a, b) -> a + "; " + b).orElse("");
    }, new ResumableReindex.Listener() {
      @Override
      public void progress(long done, long total) {
        progress.progress(done, total);
      }
    });
    long scorecardRowsDeleted = 0, scoreRowsDeleted = 0;
    for (ReindexJob.Summary s : outcome.summaries()) {
      scorecardRowsDeleted += s.scorecardRowsDeleted();
      scoreRowsDeleted += s.scoreRowsDeleted();
    }
    return new JobHandler.Counts(outcome.scorecardsWritten(), outcome.scoresWritten(), scorecardRowsDeleted, scoreRowsDeleted);
  }
}
