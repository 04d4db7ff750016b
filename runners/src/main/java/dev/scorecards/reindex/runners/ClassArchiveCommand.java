package dev.scorecards.reindex.runners;

import dev.scorecards.reindex.pipeline.BatchScorecards;
import dev.scorecards.reindex.pipeline.ClickHouseMapping;
import dev.scorecards.reindex.pipeline.ClickHouseSettings;
import dev.scorecards.reindex.pipeline.ClickHouseTable;
import dev.scorecards.reindex.pipeline.Mode;
import dev.scorecards.reindex.pipeline.PartitionPlan;
import dev.scorecards.reindex.pipeline.PostgresSettings;
import dev.scorecards.reindex.pipeline.ReindexConfig;
import dev.scorecards.reindex.pipeline.ReindexPipeline;
import dev.scorecards.reindex.pipeline.ReindexWindow;
import dev.scorecards.reindex.pipeline.SourceScore;
import dev.scorecards.reindex.pipeline.SourceScorecard;
import java.sql.Connection;
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
 * The training run of the class-data archive {@code ./reindex build} makes (AppCDS): loads
 * what a reindex loads (picocli, Beam's pipeline construction, the DirectRunner, embedded
 * Flink, the JDBC and ClickHouse drivers), so the JVM can map those classes from the archive
 * instead of parsing and verifying them again in every run. Measured on 2 cores: a reindex of
 * an empty window 4.3-4.4 s -> 3.3-3.5 s, 6.0 -> 4.2-4.6 CPU s (README, issue 7).
 *
 * <p>When the local services answer, it then reindexes a small seeded window of databases of
 * its own ({@value #TRAINING_DATABASE}, dropped at the end) on both runners and verifies it,
 * through the real command line: what only a run that reaches the databases loads (the
 * drivers' protocols, TLS set-up of the HTTP clients, Flink's network stack, the lambdas the
 * JDK spins for all of these) is archived too: a Flink run loads ~1,560 classes outside the
 * archive instead of ~2,740. Against the archive of the first part alone, 200,000 scorecards on
 * Flink: 11.8 s and 11.5 user CPU s against 12.1 s and 12.0 on average over 6 interleaved pairs.
 */
@Command(name = "class-archive-training", hidden = true, description = "Loads the classes a reindex needs (for the class-data archive).")
public class ClassArchiveCommand implements Callable<Integer> {
  static final String TRAINING_DATABASE = "reindex_archive_training";

  @Override
  public Integer call() throws Exception {
    for (PipelineOptions options : List.of(RunnerOptions.direct(), RunnerOptions.flink(null, 2, null))) {
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
    ReindexConfig config = ReindexConfig.of(Mode.all, window,
        new PostgresSettings("jdbc:postgresql://127.0.0.1:1/none", "none", null),
        new ClickHouseSettings("http://127.0.0.1:1", "none", "none", null)).withCleanUpBeforeWrite(true);
    ReindexPipeline.build(config, new PartitionPlan(1, window.split(1)), "18.16.1", RunnerOptions.direct());
    Class.forName("org.postgresql.Driver");
    Class.forName("com.clickhouse.jdbc.ClickHouseDriver");
    withLocalServices();
    return ExitCodes.OK;
  }

  /**
   * Reindexes and verifies a seeded window on the local services ({@code ./reindex services
   * start}), when they answer (else the archive holds what the part above loads).
   */
  private static void withLocalServices() throws Exception {
    ContractDatabases databases = new ContractDatabases("127.0.0.1:" + System.getenv().getOrDefault("REINDEX_LOCAL_PG_PORT", "55432"),
        "http://127.0.0.1:" + System.getenv().getOrDefault("REINDEX_LOCAL_CH_HTTP_PORT", "18123"), TRAINING_DATABASE);
    try {
      databases.drop();
      databases.create();
    } catch (Exception e) {
      System.err.println("class-archive-training: the local services do not answer (" + e.getMessage() + "); training without databases only");
      return;
    }
    ReindexWindow window = ReindexWindow.parse("2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z");
    try {
      try (Connection c = databases.postgres().connect()) {
        Seeder.seed(c, new Seeder.Spec(2_000, 10, window, 3), true);
      }
      List<String> where = List.of("--start", window.start().toString(), "--end", window.end().toString(),
          "--pg-url", databases.postgres().jdbcUrl(), "--pg-user", "reindex", "--ch-url", databases.chUrl(), "--ch-user", "default",
          "--ch-database", TRAINING_DATABASE);
      for (List<String> command : List.of(
          List.of("run", "--mode", "all", "--clean-up-before-write"),
          List.of("run", "--mode", "all", "--runner", "FlinkRunner", "--parallelism", "2"),
          List.of("verify", "--mode", "all"))) {
        List<String> args = new ArrayList<>(command);
        args.addAll(where);
        int code = ReindexCli.commandLine().execute(args.toArray(new String[0]));
        if (code != ExitCodes.OK) {
          System.err.println("class-archive-training: '" + String.join(" ", command) + "' ended with exit code " + code);
        }
      }
    } finally {
      databases.drop();
    }
  }

  private static List<Row> scorecards() {
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      rows.add(ClickHouseMapping.scorecard(new SourceScorecard("sc-" + i, "c", "p", "t", 1, 2, null, null, "u", null, null, null, t, t)));
    }
    return rows;
  }

  static class ScoresOf extends DoFn<Iterable<Row>, Row> {
    @ProcessElement
    public void process(@Element Iterable<Row> batch, OutputReceiver<Row> out) {
      for (Row scorecard : batch) {
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        out.output(ClickHouseMapping.score(scorecard, new SourceScore(scorecard.getString("scorecard_id"), "crit", 1.0, false, false, null, t)));
      }
    }
  }
}
