package dev.scorecards.reindex.runners;

import static dev.scorecards.reindex.testing.TestDatabases.DATABASE;
import static dev.scorecards.reindex.testing.TestDatabases.clickHouseIds;
import static dev.scorecards.reindex.testing.TestDatabases.clickHouseRows;
import static dev.scorecards.reindex.testing.TestDatabases.expectedScorecards;
import static dev.scorecards.reindex.testing.TestDatabases.expectedScores;
import static dev.scorecards.reindex.testing.TestDatabases.pg;
import static dev.scorecards.reindex.testing.TestDatabases.score;
import static dev.scorecards.reindex.testing.TestDatabases.scorecard;
import static dev.scorecards.reindex.testing.TestDatabases.template;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.run.ReindexJob;
import dev.scorecards.reindex.testing.Seeder;
import dev.scorecards.reindex.testing.TestDatabases;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The process reindex end to end on the DirectRunner against the real PostgreSQL and ClickHouse
 * servers: given this data and this window, ClickHouse (read with FINAL) holds exactly these rows,
 * every column compared with the mapping computed in PostgreSQL.
 */
class ProcessReindexIT {
  static final Instant START = Instant.parse("2026-04-01T00:00:00Z");
  static final Instant END = Instant.parse("2026-04-02T00:00:00Z");
  static final ReindexWindow WINDOW = ReindexWindow.of(START, END);
  static final Instant INSIDE = Instant.parse("2026-04-01T12:00:00.123456Z");

  @BeforeEach
  void emptyDatabases() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    template("tpl-process", 1, 2);
    template("tpl-conversation", 1, 1);
  }

  static ReindexConfig config() {
    return ReindexConfig.of(
        Mode.process, WINDOW, TestDatabases.postgres(), TestDatabases.clickHouse());
  }

  static ReindexJob.Summary run(ReindexConfig config) throws Exception {
    return ReindexJob.run(config, RunnerOptions.direct(), ReindexJob.Progress.NONE);
  }

  static void assertClickHouseEqualsPostgres() throws Exception {
    assertThat(clickHouseRows(ClickHouseTable.SCORECARDS)).isEqualTo(expectedScorecards(WINDOW));
    assertThat(clickHouseRows(ClickHouseTable.SCORES)).isEqualTo(expectedScores(WINDOW));
  }

  @Test
  void theWindowIsHalfOpenToTheMicrosecondWhateverThePartitioning() throws Exception {
    Instant oneMicro = Instant.ofEpochSecond(0, 1_000);
    scorecard(
        "before-start", "tpl-process", 1, null, START.minus(java.time.Duration.ofNanos(1_000)));
    scorecard("at-start", "tpl-process", 1, null, START);
    scorecard("just-before-end", "tpl-process", 1, null, END.minusNanos(oneMicro.getNano()));
    scorecard("at-end", "tpl-process", 1, null, END);
    score("at-start", "c1", 1.0, "x", START);
    score("at-end", "c1", 1.0, "x", END);
    // Many partitions, so the edges are also partition bounds; then a single partition.
    for (ReindexConfig config : List.of(config().withPartitioning(1, 64), config())) {
      TestDatabases.emptyAll();
      insertTemplatesAgainIfTruncated();
      ReindexJob.Summary summary = run(config);
      assertThat(clickHouseIds(ClickHouseTable.SCORECARDS))
          .containsExactly("at-start", "just-before-end");
      assertThat(clickHouseIds(ClickHouseTable.SCORES)).containsExactly("at-start/c1");
      assertThat(summary.read().get(ClickHouseTable.SCORECARDS)).isEqualTo(2);
      assertClickHouseEqualsPostgres();
    }
  }

  /** emptyAll truncates PostgreSQL too; put the fixture of the edge test back. */
  private static void insertTemplatesAgainIfTruncated() throws Exception {
    template("tpl-process", 1, 2);
    template("tpl-conversation", 1, 1);
    scorecard("before-start", "tpl-process", 1, null, START.minusNanos(1_000));
    scorecard("at-start", "tpl-process", 1, null, START);
    scorecard("just-before-end", "tpl-process", 1, null, END.minusNanos(1_000));
    scorecard("at-end", "tpl-process", 1, null, END);
    score("at-start", "c1", 1.0, "x", START);
    score("at-end", "c1", 1.0, "x", END);
  }

  @Test
  void theRevisionNotTheTemplateDecidesTheTypeAndConversationScorecardsAreLeftAlone()
      throws Exception {
    template("tpl-mixed", 1, 1);
    template("tpl-mixed", 2, 2);
    template("tpl-mixed", 3, 1);
    scorecard("mixed-rev1", "tpl-mixed", 1, "conv-1", INSIDE);
    scorecard("mixed-rev2", "tpl-mixed", 2, null, INSIDE);
    scorecard("mixed-rev3", "tpl-mixed", 3, "conv-2", INSIDE);
    scorecard("conversation", "tpl-conversation", 1, "conv-3", INSIDE);
    score("conversation", "c1", 5.0, null, INSIDE);
    score("mixed-rev2", "c1", 5.0, null, INSIDE);
    // A conversation scorecard already in ClickHouse, in the window: clean-up must not touch it.
    TestDatabases.ch()
        .execute(
            "INSERT INTO "
                + DATABASE
                + ".scorecards VALUES ('cust-1', 'prof-1', 'ch-conversation', 'tpl-conversation', 1, 0,"
                + " 'conv-9', '', 'u', '', NULL, NULL, toDateTime('2026-04-01 10:00:00'), toDateTime('2026-04-01 11:00:00'))");

    run(config().withCleanUpBeforeWrite(true));

    assertThat(clickHouseIds(ClickHouseTable.SCORECARDS))
        .containsExactly("ch-conversation", "mixed-rev2");
    assertThat(clickHouseIds(ClickHouseTable.SCORES)).containsExactly("mixed-rev2/c1");
    assertThat(clickHouseRows(ClickHouseTable.SCORES)).isEqualTo(expectedScores(WINDOW));
  }

  @Test
  void nullsAndAwkwardTextArriveExactly() throws Exception {
    scorecard("all-null", "tpl-process", 1, null, INSIDE);
    pg(
        "UPDATE director.scorecards SET agent_user_id = NULL, submitter_user_id = NULL, score = NULL, submitted_at = NULL WHERE scorecard_id = 'all-null'");
    scorecard("zero", "tpl-process", 1, null, INSIDE.plusSeconds(1));
    pg("UPDATE director.scorecards SET score = 0, agent_user_id = '' WHERE scorecard_id = 'zero'");
    String[] texts = {
      "tab\there",
      "new\nline",
      "carriage\r\nreturn",
      "quote ' and \" double",
      "back\\slash \\N \\t",
      "emoji 😀👍🏽 and 東京 and naïve",
      "",
      "   spaced   ",
      "comma, semicolon; pipe |"
    };
    for (int i = 0; i < texts.length; i++) {
      score("all-null", "crit-" + i, i % 2 == 0 ? null : i + 0.0000001, texts[i], INSIDE);
    }
    score("all-null", "null-comment", 1.0000001, null, INSIDE);
    score("zero", "zero-value", 0.0, "", INSIDE);
    pg(
        "UPDATE director.historic_scorecard_scores SET not_applicable = true, ai_scored = false WHERE criterion_id = 'crit-0'");

    run(config());

    assertClickHouseEqualsPostgres();
    List<List<String>> scorecards = clickHouseRows(ClickHouseTable.SCORECARDS);
    assertThat(scorecards.get(0).get(10)).as("NULL score stays NULL").isNull();
    assertThat(scorecards.get(1).get(10)).as("0 stays 0").isEqualTo("0.0");
    assertThat(clickHouseRows(ClickHouseTable.SCORES)).extracting(r -> r.get(9)).contains(texts);
  }

  @Test
  void scorecardsWithoutScoresAreWritten() throws Exception {
    scorecard("no-scores", "tpl-process", 1, null, INSIDE);
    scorecard("with-scores", "tpl-process", 1, null, INSIDE);
    score("with-scores", "c1", 1.0, "a", INSIDE);

    ReindexJob.Summary summary = run(config());

    assertThat(summary.written().get(ClickHouseTable.SCORECARDS)).isEqualTo(2);
    assertThat(summary.written().get(ClickHouseTable.SCORES)).isEqualTo(1);
    assertThat(clickHouseIds(ClickHouseTable.SCORECARDS))
        .containsExactly("no-scores", "with-scores");
    assertClickHouseEqualsPostgres();
  }

  @Test
  void moreScorecardsThanOneBatchAndOnePartition() throws Exception {
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(600, 4, WINDOW, 7), true);
    }
    ReindexJob.Summary summary = run(config().withBatchSize(50).withPartitioning(100, 64));

    assertThat(summary.partitions()).isEqualTo(6);
    assertThat(summary.read().get(ClickHouseTable.SCORECARDS)).isEqualTo(600);
    assertThat(summary.read().get(ClickHouseTable.SCORES)).isGreaterThan(600);
    assertThat(summary.received().inClickHouse().get(ClickHouseTable.SCORECARDS)).isEqualTo(600);
    assertClickHouseEqualsPostgres();
  }

  @Test
  void cleanUpRemovesStaleScoresAndOrphansAndNothingOutsideTheWindow() throws Exception {
    scorecard("kept", "tpl-process", 1, null, INSIDE);
    score("kept", "stays", 1.0, "a", INSIDE);
    score("kept", "removed-later", 2.0, "b", INSIDE);
    scorecard("deleted-later", "tpl-process", 1, null, INSIDE.plusSeconds(5));
    score("deleted-later", "c1", 3.0, "c", INSIDE);
    scorecard("moved-out-later", "tpl-process", 1, null, INSIDE.plusSeconds(9));
    scorecard("outside", "tpl-process", 1, null, END.plusSeconds(3600));
    score("outside", "c1", 4.0, "d", END.plusSeconds(3600));
    // The row outside the window is in ClickHouse from an earlier run of its own window.
    run(config().withWindow(ReindexWindow.of(END, END.plusSeconds(7200))));
    run(config());
    assertThat(clickHouseIds(ClickHouseTable.SCORECARDS))
        .containsExactly("deleted-later", "kept", "moved-out-later", "outside");

    pg("DELETE FROM director.historic_scorecard_scores WHERE criterion_id = 'removed-later'");
    pg("DELETE FROM director.scorecards WHERE scorecard_id = 'deleted-later'");
    // Updated after the window: still exists, so it is not an orphan of this window.
    pg(
        "UPDATE director.scorecards SET updated_at = ? WHERE scorecard_id = 'moved-out-later'",
        END.plusSeconds(10));

    // Without clean-up the stale rows stay: writing alone cannot remove them.
    run(config());
    assertThat(clickHouseIds(ClickHouseTable.SCORES))
        .contains("kept/removed-later", "deleted-later/c1");

    ReindexJob.Summary summary = run(config().withCleanUpBeforeWrite(true));

    assertThat(clickHouseIds(ClickHouseTable.SCORECARDS))
        .containsExactly("kept", "moved-out-later", "outside");
    assertThat(clickHouseIds(ClickHouseTable.SCORES)).containsExactly("kept/stays", "outside/c1");
    assertThat(summary.orphansDeleted()).isEqualTo(1);
    assertThat(summary.mutations()).isPositive();
    assertThat(summary.deleted().get(ClickHouseTable.SCORECARDS)).isGreaterThanOrEqualTo(2);
    List<List<String>> scorecards = new ArrayList<>(clickHouseRows(ClickHouseTable.SCORECARDS));
    scorecards.removeIf(r -> !r.get(2).equals("kept"));
    assertThat(scorecards).isEqualTo(expectedScorecards(WINDOW));
    assertThat(
            TestDatabases.ch()
                .count(
                    "SELECT count() FROM system.mutations WHERE database = '"
                        + DATABASE
                        + "' AND is_done = 0"))
        .isZero();
  }

  @Test
  void aSecondIdenticalRunChangesNothing() throws Exception {
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.seed(c, new Seeder.Spec(120, 3, WINDOW, 11), true);
    }
    run(config());
    List<List<String>> scorecards = clickHouseRows(ClickHouseTable.SCORECARDS);
    List<List<String>> scores = clickHouseRows(ClickHouseTable.SCORES);

    run(config());
    assertThat(clickHouseRows(ClickHouseTable.SCORECARDS)).isEqualTo(scorecards);
    assertThat(clickHouseRows(ClickHouseTable.SCORES)).isEqualTo(scores);
    run(config().withCleanUpBeforeWrite(true));
    assertThat(clickHouseRows(ClickHouseTable.SCORECARDS)).isEqualTo(scorecards);
    assertThat(clickHouseRows(ClickHouseTable.SCORES)).isEqualTo(scores);
    assertClickHouseEqualsPostgres();
  }
}
