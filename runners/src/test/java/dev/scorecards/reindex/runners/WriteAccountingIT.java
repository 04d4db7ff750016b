package dev.scorecards.reindex.runners;

import static dev.scorecards.reindex.testing.TestDatabases.DATABASE;
import static dev.scorecards.reindex.testing.TestDatabases.ch;
import static dev.scorecards.reindex.testing.TestDatabases.pg;
import static dev.scorecards.reindex.testing.TestDatabases.score;
import static dev.scorecards.reindex.testing.TestDatabases.scorecard;
import static dev.scorecards.reindex.testing.TestDatabases.template;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.accounting.WriteAccounting;
import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Flow;
import dev.scorecards.reindex.testing.TestDatabases;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The accounting against the real servers: the keys travel from PostgreSQL's COPY into ClickHouse
 * and are matched there exactly, whatever characters the ids hold, and a row ClickHouse holds that
 * merely looks like a missing one when keys are glued together is not taken for it.
 */
class WriteAccountingIT {
  static final Instant INSIDE = ProcessReindexIT.INSIDE;
  // Escaped by COPY and by TabSeparated alike; multi-byte; colons and digits where the encoding
  // puts its own.
  static final String AWKWARD = "sc\t1\\2\nné:12:3";

  @BeforeEach
  void emptyDatabases() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    template("tpl-process", 1, 2);
  }

  private static WriteAccounting.Received check() throws Exception {
    return new WriteAccounting(TestDatabases.postgres(), ch())
        .check(ProcessReindexIT.WINDOW, Set.of(Flow.PROCESS));
  }

  /** The check after a run, against what a run that wrote {@code written} reports. */
  private static WriteAccounting.Received check(WriteAccounting.Written written) throws Exception {
    return new WriteAccounting(TestDatabases.postgres(), ch())
        .check(ProcessReindexIT.WINDOW, Set.of(Flow.PROCESS), written);
  }

  /**
   * What a run writing PostgreSQL's scores of the window hands to the writer: their count and
   * digest, computed here.
   */
  private static WriteAccounting.Written writtenFromPostgres() throws Exception {
    long digest = 0;
    List<List<String>> scores = TestDatabases.expectedScores(ProcessReindexIT.WINDOW);
    for (List<String> row : scores) {
      digest += WriteAccounting.scoreDigest(row.get(2), row.get(3), Long.parseLong(row.get(11)));
    }
    return new WriteAccounting.Written(scores.size(), digest);
  }

  @Test
  void awkwardIdsAreCountedExactlyAndALookAlikeRowIsNotTakenForAMissingOne() throws Exception {
    scorecard(AWKWARD, "tpl-process", 1, null, INSIDE);
    score(AWKWARD, "crit:7\t", 1.0, null, INSIDE);
    score(AWKWARD, "crité", 2.0, null, INSIDE);
    // Glued without the length, ("ab", "c") and ("a", "bc") would be the same key.
    scorecard("ab", "tpl-process", 1, null, INSIDE);
    score("ab", "c", 3.0, null, INSIDE);
    scorecard("a", "tpl-process", 1, null, INSIDE);
    score("a", "bc", 4.0, null, INSIDE);
    ProcessReindexIT.run(ProcessReindexIT.config());

    WriteAccounting.Received all = check();
    assertThat(all.inPostgres().get(ClickHouseTable.SCORECARDS)).isEqualTo(3);
    assertThat(all.inClickHouse().get(ClickHouseTable.SCORECARDS)).isEqualTo(3);
    assertThat(all.inPostgres().get(ClickHouseTable.SCORES)).isEqualTo(4);
    assertThat(all.inClickHouse().get(ClickHouseTable.SCORES)).isEqualTo(4);

    // ClickHouse's digest of the rows it holds is this process's digest of the rows written,
    // awkward ids included: the scores are not read from PostgreSQL again.
    WriteAccounting.Written written = writtenFromPostgres();
    WriteAccounting.Received byDigest = check(written);
    assertThat(byDigest.inPostgres().get(ClickHouseTable.SCORES))
        .isEqualTo(WriteAccounting.NOT_COUNTED);
    assertThat(byDigest.inClickHouse().get(ClickHouseTable.SCORES)).isEqualTo(4);
    assertThat(byDigest.inPostgres().get(ClickHouseTable.SCORECARDS)).isEqualTo(3);
    assertThat(byDigest.inClickHouse().get(ClickHouseTable.SCORECARDS)).isEqualTo(3);
    // A digest that differs (a row written at another version, say) sends it to the exact check.
    WriteAccounting.Received offByOne =
        check(new WriteAccounting.Written(written.scores(), written.scoresDigest() + 1));
    assertThat(offByOne.inPostgres().get(ClickHouseTable.SCORES)).isEqualTo(4);
    assertThat(offByOne.inClickHouse().get(ClickHouseTable.SCORES)).isEqualTo(4);

    // "a" leaves PostgreSQL but stays in ClickHouse; "ab" goes missing from ClickHouse.
    pg("DELETE FROM director.historic_scorecard_scores WHERE scorecard_id = 'a'");
    pg("DELETE FROM director.scorecards WHERE scorecard_id = 'a'");
    ClickHouseClient client = ch();
    for (String table : new String[] {"scorecards", "scores"}) {
      client.execute("ALTER TABLE " + DATABASE + "." + table + " DELETE WHERE scorecard_id = 'ab'");
    }
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (client.count(
            "SELECT count() FROM system.mutations WHERE database = '"
                + DATABASE
                + "' AND is_done = 0")
        > 0) {
      assertThat(System.nanoTime()).as("mutations finished within a minute").isLessThan(deadline);
      Thread.sleep(100);
    }
    assertThat(
            client.count(
                "SELECT count() FROM "
                    + DATABASE
                    + ".scores WHERE scorecard_id = 'a' AND criterion_id = 'bc'"))
        .isEqualTo(1);

    WriteAccounting.Received after = check();
    assertThat(after.inPostgres().get(ClickHouseTable.SCORECARDS)).isEqualTo(2);
    assertThat(after.inClickHouse().get(ClickHouseTable.SCORECARDS)).isEqualTo(1);
    assertThat(after.inPostgres().get(ClickHouseTable.SCORES)).isEqualTo(3);
    assertThat(after.inClickHouse().get(ClickHouseTable.SCORES))
        .as("only the awkward scorecard's two scores")
        .isEqualTo(2);
    // Against what the run wrote, the missing rows fail the digest and the exact check counts them.
    WriteAccounting.Received afterByDigest = check(written);
    assertThat(afterByDigest.inPostgres().get(ClickHouseTable.SCORES)).isEqualTo(3);
    assertThat(afterByDigest.inClickHouse().get(ClickHouseTable.SCORES)).isEqualTo(2);
  }

  @Test
  void scorecardsAtTheEdgesOfAWindowCutInsideSecondsAreFound() throws Exception {
    // ClickHouse narrows the scorecards to the window's seconds before matching their keys; the
    // versions are whole seconds, so the rows in [00:00:00.5, 12:00:00.3) have versions from
    // 00:00:00 to 12:00:00, both included.
    Instant start = Instant.parse("2026-04-01T00:00:00.500Z");
    Instant end = Instant.parse("2026-04-01T12:00:00.300Z");
    dev.scorecards.reindex.model.ReindexWindow window =
        dev.scorecards.reindex.model.ReindexWindow.of(start, end);
    scorecard("at-start", "tpl-process", 1, null, start);
    scorecard("same-second-as-start", "tpl-process", 1, null, start.plusMillis(200));
    scorecard("last-microsecond", "tpl-process", 1, null, end.minusNanos(1_000));
    scorecard("at-end", "tpl-process", 1, null, end);
    score("at-start", "crit-1", 1.0, null, start);
    score("last-microsecond", "crit-1", 1.0, null, end.minusNanos(1_000));
    ProcessReindexIT.run(
        dev.scorecards.reindex.run.ReindexConfig.of(
            dev.scorecards.reindex.model.Mode.process,
            window,
            TestDatabases.postgres(),
            TestDatabases.clickHouse()));

    WriteAccounting accounting = new WriteAccounting(TestDatabases.postgres(), ch());
    WriteAccounting.Received exact = accounting.check(window, Set.of(Flow.PROCESS));
    assertThat(exact.inPostgres().get(ClickHouseTable.SCORECARDS)).isEqualTo(3);
    assertThat(exact.inClickHouse().get(ClickHouseTable.SCORECARDS)).isEqualTo(3);
    assertThat(exact.inClickHouse().get(ClickHouseTable.SCORES)).isEqualTo(2);
    WriteAccounting.Written written =
        new WriteAccounting.Written(
            2,
            WriteAccounting.scoreDigest("at-start", "crit-1", start.getEpochSecond())
                + WriteAccounting.scoreDigest(
                    "last-microsecond", "crit-1", end.minusNanos(1_000).getEpochSecond()));
    WriteAccounting.Received byDigest = accounting.check(window, Set.of(Flow.PROCESS), written);
    assertThat(byDigest.inPostgres().get(ClickHouseTable.SCORES))
        .isEqualTo(WriteAccounting.NOT_COUNTED);
    assertThat(byDigest.inPostgres().get(ClickHouseTable.SCORECARDS)).isEqualTo(3);
    assertThat(byDigest.inClickHouse().get(ClickHouseTable.SCORECARDS)).isEqualTo(3);
  }

  @Test
  void aRowAtAnotherVersionIsNotCounted() throws Exception {
    scorecard("sc-v", "tpl-process", 1, null, INSIDE);
    score("sc-v", "crit-1", 1.0, null, INSIDE);
    ProcessReindexIT.run(ProcessReindexIT.config());
    // PostgreSQL moves on by a second; ClickHouse still holds the old version.
    pg(
        "UPDATE director.historic_scorecard_scores SET updated_at = updated_at + interval '1 second'");
    WriteAccounting.Received r = check();
    assertThat(r.inPostgres().get(ClickHouseTable.SCORES)).isEqualTo(1);
    assertThat(r.inClickHouse().get(ClickHouseTable.SCORES)).isZero();
    assertThat(r.inClickHouse().get(ClickHouseTable.SCORECARDS)).isEqualTo(1);
    // The run that wrote the newer version finds ClickHouse holding the old one: the digest
    // differs.
    WriteAccounting.Received byDigest = check(writtenFromPostgres());
    assertThat(byDigest.inPostgres().get(ClickHouseTable.SCORES)).isEqualTo(1);
    assertThat(byDigest.inClickHouse().get(ClickHouseTable.SCORES)).isZero();
  }

  @Test
  void olderCopiesStillUnmergedAreLeftToTheNewestVersionsDigest() throws Exception {
    scorecard("sc-old", "tpl-process", 1, null, INSIDE);
    score("sc-old", "crit-1", 1.0, null, INSIDE);
    score("sc-old", "crit-2", 2.0, null, INSIDE);
    ProcessReindexIT.run(ProcessReindexIT.config());
    WriteAccounting.Written written = writtenFromPostgres();
    assertThat(check(written).inPostgres().get(ClickHouseTable.SCORES))
        .as("only the rows written: the digest of all rows matches")
        .isEqualTo(WriteAccounting.NOT_COUNTED);

    // What a reindex over stale copies leaves until ClickHouse merges: an older copy of crit-1
    // beside the new one.
    ClickHouseClient client = ch();
    client.execute("SYSTEM STOP MERGES " + DATABASE + ".scores");
    try {
      client.execute(
          "INSERT INTO "
              + DATABASE
              + ".scores SELECT customer_id, profile_id, scorecard_id, criterion_id, is_process_scorecard,"
              + " conversation_id, numeric_value, not_applicable, ai_scored, comment, scorecard_create_time, update_time - 3600 FROM "
              + DATABASE
              + ".scores WHERE criterion_id = 'crit-1'");
      assertThat(
              client.count(
                  "SELECT count() FROM " + DATABASE + ".scores WHERE scorecard_id = 'sc-old'"))
          .isEqualTo(3);
      WriteAccounting.Received byNewest = check(written);
      assertThat(byNewest.inPostgres().get(ClickHouseTable.SCORES))
          .as("accounted by the newest versions' digest")
          .isEqualTo(WriteAccounting.NOT_COUNTED);
      assertThat(byNewest.inClickHouse().get(ClickHouseTable.SCORES))
          .as("keys, not rows")
          .isEqualTo(2);

      // A newer copy than the run wrote is not what the run wrote: the digests differ and the
      // exact check runs (it counts the keys held at PostgreSQL's version; the newer copy is
      // the verification's to find).
      client.execute(
          "INSERT INTO "
              + DATABASE
              + ".scores SELECT customer_id, profile_id, scorecard_id, criterion_id, is_process_scorecard,"
              + " conversation_id, numeric_value, not_applicable, ai_scored, comment, scorecard_create_time, update_time + 7200 FROM "
              + DATABASE
              + ".scores WHERE criterion_id = 'crit-2'");
      WriteAccounting.Received newer = check(written);
      assertThat(newer.inPostgres().get(ClickHouseTable.SCORES))
          .as("counted exactly, not by digest")
          .isEqualTo(2);
    } finally {
      client.execute("SYSTEM START MERGES " + DATABASE + ".scores");
    }
  }
}
