package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.clickhouse.ClickHouseTopology;
import dev.scorecards.reindex.model.ClickHouseMapping;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.PartitionPlan;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.pipeline.BatchScorecards;
import dev.scorecards.reindex.pipeline.ReindexPipeline;
import dev.scorecards.reindex.postgres.PostgresSettings;
import dev.scorecards.reindex.run.ReindexConfig;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.Row;
import picocli.CommandLine.Command;

/**
 * The training run of the class-data archive that {@code ./reindex build} makes (AppCDS): it loads
 * what a reindex loads (picocli, Beam's pipeline construction, the DirectRunner, embedded Flink,
 * JdbcIO, ClickHouseIO and the drivers) without reaching any database, so that runs map those
 * classes from the archive instead of parsing and verifying them again. It lives in the bundled jar
 * because an archive only applies to the class path it was made with.
 */
@Command(
    name = "class-archive-training",
    hidden = true,
    description = "Loads the classes a reindex needs (for the class-data archive).")
public class ClassArchiveCommand implements Callable<Integer> {
  @Override
  public Integer call() throws Exception {
    for (PipelineOptions options :
        List.of(RunnerOptions.direct(), RunnerOptions.flink(null, 2, null))) {
      Pipeline pipeline = Pipeline.create(options);
      pipeline
          .apply(Create.of(scorecards()).withRowSchema(ClickHouseTable.SCORECARDS.beamSchema()))
          .apply(new BatchScorecards(50))
          .apply(ParDo.of(new ScoresOf()))
          .setRowSchema(ClickHouseTable.SCORES.beamSchema());
      pipeline.run().waitUntilFinish();
    }
    // The real pipeline, built but not run: JdbcIO, ClickHouseIO and their drivers.
    ReindexWindow window = ReindexWindow.parse("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
    ReindexConfig config =
        ReindexConfig.of(
                Mode.all,
                window,
                new PostgresSettings("jdbc:postgresql://127.0.0.1:1/none", "none", null),
                new ClickHouseSettings(
                    "http://127.0.0.1:1", "none", "none", null, ClickHouseTopology.SINGLE_NODE))
            .withCleanUpBeforeWrite(true);
    ReindexPipeline.build(
        config, new PartitionPlan(1, window.split(1)), "18.16.1", RunnerOptions.direct());
    Class.forName("org.postgresql.Driver");
    Class.forName("com.clickhouse.jdbc.ClickHouseDriver");
    return ExitCodes.OK;
  }

  /**
   * The training of the short commands' archive ({@code status}, {@code job}, {@code --help}): runs
   * them in this process, their output discarded, against a port nothing listens on, so that their
   * CLI, settings and HTTP client classes are archived without reaching any server.
   */
  @Command(
      name = "short-command-training",
      hidden = true,
      description = "Runs the short commands against nothing (for their class-data archive).")
  public static class ShortCommands implements Callable<Integer> {
    static final String NOWHERE = "http://127.0.0.1:1";

    @Override
    public Integer call() {
      java.io.PrintStream out = System.out;
      java.io.PrintStream err = System.err;
      java.io.PrintStream discard =
          new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
      System.setOut(discard);
      System.setErr(discard);
      try {
        for (List<String> args :
            List.of(
                List.of("--help"),
                List.of("run", "--help"),
                List.of("verify", "--help"),
                List.of("serve", "--help"),
                List.of("schedule", "--help"),
                List.of("job", "submit", "--help"),
                List.of("status", "--ch-url", NOWHERE),
                List.of("status", "some-run", "--ch-url", NOWHERE),
                List.of("job", "status", "some-job", "--server", NOWHERE),
                List.of("job", "new-token", "--caller", "training", "--role", "VIEWER"))) {
          picocli.CommandLine cli = ReindexCli.commandLine();
          cli.setOut(new java.io.PrintWriter(discard));
          cli.setErr(new java.io.PrintWriter(discard));
          cli.execute(args.toArray(new String[0]));
        }
      } finally {
        System.setOut(out);
        System.setErr(err);
      }
      return ExitCodes.OK;
    }
  }

  private static List<Row> scorecards() {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      rows.add(
          ClickHouseMapping.row(
              ClickHouseTable.SCORECARDS,
              "c",
              "p",
              "sc-" + i,
              "t",
              1,
              1,
              null,
              null,
              "u",
              null,
              null,
              null,
              t,
              t));
    }
    return rows;
  }

  static class ScoresOf extends DoFn<Iterable<Row>, Row> {
    @ProcessElement
    public void process(@Element Iterable<Row> batch, OutputReceiver<Row> out) {
      for (Row scorecard : batch) {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        out.output(
            ClickHouseMapping.score(
                scorecard,
                ClickHouseMapping.scoreOwnValues(
                    java.util.Map.of(
                        "scorecard_id",
                        scorecard.getString("scorecard_id"),
                        "criterion_id",
                        "crit",
                        "numeric_value",
                        1.0,
                        "not_applicable",
                        0,
                        "ai_scored",
                        0,
                        "update_time",
                        t))));
      }
    }
  }
}
