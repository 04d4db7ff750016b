package dev.scorecards.reindex.runners;

import static dev.scorecards.reindex.runners.ProcessReindexIT.END;
import static dev.scorecards.reindex.runners.ProcessReindexIT.INSIDE;
import static dev.scorecards.reindex.runners.ProcessReindexIT.START;
import static dev.scorecards.reindex.runners.ProcessReindexIT.WINDOW;
import static dev.scorecards.reindex.testing.TestDatabases.DATABASE;
import static dev.scorecards.reindex.testing.TestDatabases.ch;
import static dev.scorecards.reindex.testing.TestDatabases.score;
import static dev.scorecards.reindex.testing.TestDatabases.scorecard;
import static dev.scorecards.reindex.testing.TestDatabases.template;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.testing.Seeder;
import dev.scorecards.reindex.testing.TestDatabases;
import dev.scorecards.reindex.verify.VerificationReport;
import dev.scorecards.reindex.verify.Verifier;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Verification against the real servers: start from a correct reindex, tamper with ClickHouse, and
 * expect exactly these differences; then repair and expect none.
 */
class VerifyIT {
  private static final String SCORECARDS = DATABASE + ".scorecards";
  private static final String SCORES = DATABASE + ".scores";

  @BeforeEach
  void correctReindex() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    template("tpl-process", 1, 2);
    for (int i = 1; i <= 8; i++) {
      scorecard("sc-" + i, "tpl-process", 1, null, INSIDE.plusSeconds(i * 60L));
      score("sc-" + i, "c1", 1.0 * i, "comment " + i, INSIDE);
      score("sc-" + i, "c2", null, null, INSIDE);
    }
    TestDatabases.pg("UPDATE director.scorecards SET score = NULL WHERE scorecard_id = 'sc-6'");
    TestDatabases.pg(
        "UPDATE director.historic_scorecard_scores SET numeric_value = 0 WHERE scorecard_id = 'sc-7' AND criterion_id = 'c1'");
    // Plenty of other rows, so that the differences hide among clean buckets.
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(3_000, 3, WINDOW, 3), false);
    }
    ProcessReindexIT.run(ProcessReindexIT.config());
  }

  private static VerificationReport verify() throws Exception {
    return new Verifier(TestDatabases.postgres(), TestDatabases.clickHouse()).verify(WINDOW);
  }

  /**
   * Inserts a new version of a ClickHouse row: the same row with some columns replaced ("column",
   * "expression", ...).
   */
  private static void rewrite(String table, String where, String... replace) {
    ClickHouseTable t =
        table.equals(SCORECARDS) ? ClickHouseTable.SCORECARDS : ClickHouseTable.SCORES;
    java.util.Map<String, String> replaced = new java.util.HashMap<>();
    for (int i = 0; i < replace.length; i += 2) {
      replaced.put(replace[i], replace[i + 1]);
    }
    String select =
        t.columns().stream()
            .map(c -> replaced.getOrDefault(c.name(), c.name()))
            .collect(java.util.stream.Collectors.joining(", "));
    ch().execute(
            "INSERT INTO "
                + table
                + " SELECT "
                + select
                + " FROM "
                + table
                + " FINAL WHERE "
                + where);
  }

  @Test
  void aCorrectReindexVerifiesEqual() throws Exception {
    VerificationReport report = verify();
    assertThat(report.equal()).as(report.describe()).isTrue();
    assertThat(report.table("scorecards").postgresRows()).isEqualTo(3_008);
    assertThat(report.table("scorecards").clickHouseRows()).isEqualTo(3_008);
    assertThat(report.table("scores").postgresRows())
        .isEqualTo(report.table("scores").clickHouseRows())
        .isGreaterThan(3_000);
  }

  @Test
  void findsExactlyTheTamperedRowsAndRepairsThem(@TempDir Path dir) throws Exception {
    // 1. a deleted score
    ch().execute(
            "ALTER TABLE "
                + SCORES
                + " DELETE WHERE scorecard_id = 'sc-1' AND criterion_id = 'c1'");
    // 2. a scorecard rewritten with a newer update_time (still in the window) and another score
    rewrite(SCORECARDS, "scorecard_id = 'sc-2'", "update_time", "update_time + 3600");
    rewrite(SCORES, "scorecard_id = 'sc-2' AND criterion_id = 'c1'", "criterion_id", "'c9'");
    // 3. a score comment changed at the same update_time
    rewrite(SCORES, "scorecard_id = 'sc-3' AND criterion_id = 'c1'", "comment", "'changed'");
    // 4. an extra process scorecard in the window
    rewrite(SCORECARDS, "scorecard_id = 'sc-4'", "scorecard_id", "'sc-extra'");
    // 5. a stale score of a present scorecard
    rewrite(SCORES, "scorecard_id = 'sc-5' AND criterion_id = 'c1'", "criterion_id", "'stale'");
    // 6. NULL turned into 0, and 0 into NULL
    rewrite(SCORECARDS, "scorecard_id = 'sc-6'", "score", "CAST(0 AS Nullable(Float64))");
    rewrite(
        SCORES,
        "scorecard_id = 'sc-7' AND criterion_id = 'c1'",
        "numeric_value",
        "CAST(NULL AS Nullable(Float64))");
    // 7. rows just outside the window, which are not this window's business
    rewrite(
        SCORECARDS,
        "scorecard_id = 'sc-8'",
        "scorecard_id",
        "'outside-after'",
        "update_time",
        "toDateTime(" + END.getEpochSecond() + ")");
    rewrite(
        SCORECARDS,
        "scorecard_id = 'sc-8'",
        "scorecard_id",
        "'outside-before'",
        "update_time",
        "toDateTime(" + (START.getEpochSecond() - 1) + ")");
    while (ch().count(
                "SELECT count() FROM system.mutations WHERE database = '"
                    + DATABASE
                    + "' AND is_done = 0")
        > 0) {
      Thread.sleep(100);
    }

    VerificationReport report = verify();

    VerificationReport.TableReport scorecards = report.table("scorecards");
    VerificationReport.TableReport scores = report.table("scores");
    assertThat(scorecards.missing()).isEmpty();
    assertThat(scorecards.extra()).containsExactly(List.of("sc-extra"));
    assertThat(scorecards.different())
        .containsExactly(
            new VerificationReport.Difference(List.of("sc-2"), List.of("update_time")),
            new VerificationReport.Difference(List.of("sc-6"), List.of("score")));
    assertThat(scores.missing()).containsExactly(List.of("sc-1", "c1"));
    assertThat(scores.extra()).containsExactly(List.of("sc-2", "c9"), List.of("sc-5", "stale"));
    assertThat(scores.different())
        .containsExactly(
            new VerificationReport.Difference(List.of("sc-3", "c1"), List.of("comment")),
            new VerificationReport.Difference(List.of("sc-7", "c1"), List.of("numeric_value")));
    assertThat(scorecards.clickHouseRows()).isEqualTo(scorecards.postgresRows() + 1);

    // The command line: exit 1, the JSON report names every difference; then --repair: exit 0.
    Path json = dir.resolve("report.json");
    assertThat(cli("verify", "--report", json.toString())).isEqualTo(ExitCodes.DIFFERENCES);
    JsonNode node = new ObjectMapper().readTree(Files.readString(json));
    assertThat(node.get("equal").asBoolean()).isFalse();
    assertThat(node.at("/tables/scores/missing").toString()).isEqualTo("[[\"sc-1\",\"c1\"]]");
    assertThat(node.at("/tables/scorecards/different_count").asInt()).isEqualTo(2);

    assertThat(cli("verify", "--repair")).isEqualTo(ExitCodes.OK);
    VerificationReport repaired = verify();
    assertThat(repaired.equal()).as(repaired.describe()).isTrue();
    // The rows outside the window were not touched.
    assertThat(TestDatabases.clickHouseIds(ClickHouseTable.SCORECARDS))
        .contains("outside-after", "outside-before");
  }

  @Test
  void duplicatesThatFinalCollapsesAreInformationNotDifferences() throws Exception {
    // A background merge would collapse the duplicate before it is seen.
    ch().execute("SYSTEM STOP MERGES " + SCORECARDS);
    try {
      rewrite(SCORECARDS, "scorecard_id = 'sc-1'");
      VerificationReport report = verify();
      assertThat(report.equal()).isTrue();
      assertThat(report.table("scorecards").duplicates()).isEqualTo(1);
    } finally {
      ch().execute("SYSTEM START MERGES " + SCORECARDS);
    }
  }

  @Test
  void aBoundInsideASecondSplitsThatSecondByWhatPostgresHas() throws Exception {
    scorecard("edge-out", "tpl-process", 1, null, START.plusMillis(300));
    scorecard("edge-in", "tpl-process", 1, null, START.plusMillis(700));
    ProcessReindexIT.run(ProcessReindexIT.config());
    dev.scorecards.reindex.model.ReindexWindow cut =
        dev.scorecards.reindex.model.ReindexWindow.of(START.plusMillis(500), END);
    Verifier verifier = new Verifier(TestDatabases.postgres(), TestDatabases.clickHouse());

    VerificationReport report = verifier.verify(cut);
    assertThat(report.equal()).as(report.describe()).isTrue();
    assertThat(report.table("scorecards").postgresRows()).isEqualTo(3_009);

    // Both have update_time = START in ClickHouse; only the one PostgreSQL has in the window
    // counts.
    ch().execute("ALTER TABLE " + SCORECARDS + " DELETE WHERE scorecard_id = 'edge-in'");
    while (ch().count(
                "SELECT count() FROM system.mutations WHERE database = '"
                    + DATABASE
                    + "' AND is_done = 0")
        > 0) {
      Thread.sleep(100);
    }
    assertThat(verifier.verify(cut).table("scorecards").missing())
        .containsExactly(List.of("edge-in"));
  }

  private static int cli(String... args) {
    String[] all = new String[args.length + 12];
    System.arraycopy(args, 0, all, 0, args.length);
    String[] rest = {
      "--mode",
      "process",
      "--start",
      START.toString(),
      "--end",
      END.toString(),
      "--pg-url",
      TestDatabases.postgres().jdbcUrl(),
      "--ch-url",
      TestDatabases.CH_URL,
      "--ch-database",
      DATABASE
    };
    System.arraycopy(rest, 0, all, args.length, rest.length);
    CommandLine cli = ReindexCli.commandLine();
    cli.setErr(new PrintWriter(new StringWriter(), true));
    return cli.execute(all);
  }
}
