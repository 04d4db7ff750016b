package dev.scorecards.reindex.runners;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.run.ReindexJob;
import dev.scorecards.reindex.run.RunLedger;
import dev.scorecards.reindex.testing.Seeder;
import dev.scorecards.reindex.testing.TestDatabases;
import dev.scorecards.reindex.verify.VerificationReport;
import dev.scorecards.reindex.verify.Verifier;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The same window run twice, and overlapping windows one after the other with PostgreSQL changing
 * in between: a finished run is never resumed or skipped, and ClickHouse ends exactly equal to
 * PostgreSQL, no row older than PostgreSQL's.
 */
class RepeatedRunsIT {
  static final Instant A = Instant.parse("2026-05-01T00:00:00Z");
  static final Instant B = Instant.parse("2026-05-04T00:00:00Z");
  static final Instant C = Instant.parse("2026-05-06T00:00:00Z");
  static final Instant D = Instant.parse("2026-05-09T00:00:00Z");

  @BeforeEach
  void seed() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(3_000, 5, ReindexWindow.of(A, D), 11), true);
    }
  }

  private static int run(Instant start, Instant end, String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "run",
                "--mode",
                "process",
                "--start",
                start.toString(),
                "--end",
                end.toString(),
                "--chunk-scorecards",
                "500",
                "--pg-url",
                TestDatabases.postgres().jdbcUrl(),
                "--ch-url",
                TestDatabases.CH_URL,
                "--ch-database",
                TestDatabases.DATABASE));
    args.addAll(List.of(extra));
    return ReindexCli.commandLine().execute(args.toArray(new String[0]));
  }

  private static List<RunLedger.Run> runs() {
    return new RunLedger(TestDatabases.ch()).recent(100);
  }

  @Test
  @Timeout(300)
  void theSameWindowTwiceReindexesItTwice() throws Exception {
    assertThat(run(A, C)).isZero();
    assertThat(run(A, C)).isZero();
    List<RunLedger.Run> runs = runs();
    assertThat(runs).hasSize(2).allMatch(r -> r.state() == RunLedger.State.SUCCEEDED);
    assertThat(runs.get(0).runId()).isNotEqualTo(runs.get(1).runId());
    // The second run wrote every chunk again: nothing of the finished first run was skipped.
    for (RunLedger.Run r : runs) {
      assertThat(new RunLedger(TestDatabases.ch()).chunksDone(r.runId()))
          .hasSize(r.chunks().size());
    }
    assertThat(
            TestDatabases.ch()
                .count(
                    "SELECT sum(scorecards) FROM "
                        + TestDatabases.DATABASE
                        + ".reindex_run_chunks WHERE run_id = '"
                        + runs.get(0).runId()
                        + "'"))
        .isEqualTo(TestDatabases.expectedScorecards(ReindexWindow.of(A, C)).size());
    VerificationReport report =
        new Verifier(TestDatabases.postgres(), TestDatabases.clickHouse())
            .verify(ReindexWindow.of(A, C), Mode.process);
    assertThat(report.equal()).as(report.describe()).isTrue();
  }

  @Test
  @Timeout(300)
  void overlappingWindowsOneAfterTheOtherLeaveNoOlderVersion() throws Exception {
    assertThat(run(A, C)).isZero();
    // PostgreSQL moves on: a third of the scorecards of [B, C) get a newer version, two days later
    // (inside [C, D)), and the scores of [C, D) change.
    TestDatabases.pg(
        "UPDATE director.scorecards SET updated_at = updated_at + interval '2 days', score = coalesce(score, 0) + 1 "
            + "WHERE updated_at >= ? AND updated_at < ? AND hashtext(scorecard_id) % 3 = 0",
        B, C);
    TestDatabases.pg(
        "UPDATE director.historic_scorecard_scores h SET numeric_value = coalesce(numeric_value, 0) + 10, updated_at = s.updated_at "
            + "FROM director.scorecards s WHERE h.scorecard_id = s.scorecard_id AND s.updated_at >= ? AND s.updated_at < ?",
        C,
        D);
    assertThat(run(B, D)).isZero();

    ReindexWindow whole = ReindexWindow.of(A, D);
    VerificationReport report =
        new Verifier(TestDatabases.postgres(), TestDatabases.clickHouse())
            .verify(whole, Mode.process);
    assertThat(report.equal()).as(report.describe()).isTrue();
    assertThat(TestDatabases.clickHouseRows(ClickHouseTable.SCORECARDS))
        .containsExactlyElementsOf(TestDatabases.expectedScorecards(whole));
    assertThat(TestDatabases.clickHouseRows(ClickHouseTable.SCORES))
        .containsExactlyElementsOf(TestDatabases.expectedScores(whole));
    // Both comparisons read ClickHouse with FINAL: each scorecard's surviving row carries
    // PostgreSQL's current version, not an older one.
    assertThat(runs()).hasSize(2).allMatch(r -> r.state() == RunLedger.State.SUCCEEDED);
  }

  /**
   * {@code reindex status} lists the runs; {@code reindex status RUN_ID} shows one chunk by chunk.
   */
  @Test
  @Timeout(300)
  void statusShowsTheRunsAndTheirChunks() throws Exception {
    assertThat(run(A, C)).isZero();
    RunLedger.Run r = runs().get(0);
    String list = status();
    assertThat(list)
        .contains(r.runId(), "process", "SUCCEEDED", r.chunks().size() + "/" + r.chunks().size());
    String one = status(r.runId());
    assertThat(one)
        .contains(
            "run " + r.runId() + ": mode process, window [" + A + ", " + C + ")",
            r.chunks().size() + " of " + r.chunks().size() + " chunks done",
            "chunk 1/" + r.chunks().size() + " [" + A);
    assertThat(one).containsPattern("done in attempt 1, [0-9,]+ conversations, [0-9,]+ scorecards");
    assertThat(
            ReindexCli.commandLine()
                .execute(
                    "status",
                    "20261129T040000Z-abcdef",
                    "--ch-url",
                    TestDatabases.CH_URL,
                    "--ch-database",
                    TestDatabases.DATABASE))
        .isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void aChunksPartitionsHoldEqualShares() throws Exception {
    ReindexWindow w = ReindexWindow.of(A, D);
    long total = TestDatabases.expectedScorecards(w).size();
    ReindexConfig config =
        ReindexConfig.of(Mode.process, w, TestDatabases.postgres(), TestDatabases.clickHouse())
            .withPartitioning(total / 6 + 1, 64);
    List<ReindexWindow.TimeRange> ranges = ReindexJob.partitionPlan(config, total).ranges();
    assertThat(ranges).hasSize(6);
    assertThat(ranges.get(0).startMicros()).isEqualTo(w.startMicros());
    assertThat(ranges.get(5).endMicros()).isEqualTo(w.endMicros());
    long sum = 0;
    long[] shares = new long[ranges.size()];
    for (int i = 0; i < ranges.size(); i++) {
      if (i > 0) {
        assertThat(ranges.get(i).startMicros()).isEqualTo(ranges.get(i - 1).endMicros());
      }
      shares[i] =
          TestDatabases.expectedScorecards(
                  ReindexWindow.of(
                      ranges.get(i).start().toInstant(), ranges.get(i).end().toInstant()))
              .size();
      sum += shares[i];
    }
    assertThat(sum).isEqualTo(total);
    // Equal time slices of the seeded data differ several-fold; quantiles cut equal shares.
    for (long share : shares) {
      assertThat(share).isBetween(total / 6 - 2, total / 6 + 2);
    }
  }

  private static String status(String... extra) {
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "status",
                "--ch-url",
                TestDatabases.CH_URL,
                "--ch-database",
                TestDatabases.DATABASE));
    args.addAll(List.of(extra));
    java.io.PrintStream saved = System.out;
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    System.setOut(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      assertThat(ReindexCli.commandLine().execute(args.toArray(new String[0]))).isZero();
    } finally {
      System.setOut(saved);
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }
}
