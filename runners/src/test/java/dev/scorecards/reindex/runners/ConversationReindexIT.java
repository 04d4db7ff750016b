package dev.scorecards.reindex.runners;

import static dev.scorecards.reindex.runners.ProcessReindexIT.END;
import static dev.scorecards.reindex.runners.ProcessReindexIT.INSIDE;
import static dev.scorecards.reindex.runners.ProcessReindexIT.START;
import static dev.scorecards.reindex.runners.ProcessReindexIT.WINDOW;
import static dev.scorecards.reindex.testing.TestDatabases.DATABASE;
import static dev.scorecards.reindex.testing.TestDatabases.chat;
import static dev.scorecards.reindex.testing.TestDatabases.clickHouseIds;
import static dev.scorecards.reindex.testing.TestDatabases.clickHouseRows;
import static dev.scorecards.reindex.testing.TestDatabases.pg;
import static dev.scorecards.reindex.testing.TestDatabases.score;
import static dev.scorecards.reindex.testing.TestDatabases.scorecard;
import static dev.scorecards.reindex.testing.TestDatabases.template;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.run.ReindexConfig;
import dev.scorecards.reindex.run.ReindexJob;
import dev.scorecards.reindex.testing.TestDatabases;
import dev.scorecards.reindex.verify.VerificationReport;
import dev.scorecards.reindex.verify.Verifier;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The conversation flow (the existing job, the default mode) and mode {@code all}, end to end on
 * the real servers: conversations updated in the window, with the conversation scorecards attached
 * to them, whatever those scorecards' own update times.
 */
class ConversationReindexIT {
  @BeforeEach
  void fixture() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    template("tpl-process", 1, 2);
    template("tpl-conversation", 1, 1);
    chat("conv-1", INSIDE);
    chat("conv-2", INSIDE.plusSeconds(30));
    chat("conv-at-end", END);
    chat("conv-at-start", START);
    pg(
        "UPDATE app.chats SET agent_user_id = 'agent \"7\"', language = NULL, ended_at = updated_at WHERE conversation_id = 'conv-2'");
    // Attached to a conversation of the window, updated long before it: still part of it.
    scorecard("sc-c1", "tpl-conversation", 1, "conv-1", START.minusSeconds(86_400 * 30));
    scorecard("sc-c2", "tpl-conversation", 1, "conv-2", INSIDE);
    scorecard("sc-c-start", "tpl-conversation", 1, "conv-at-start", INSIDE);
    scorecard("sc-c-end", "tpl-conversation", 1, "conv-at-end", INSIDE);
    scorecard("sc-p", "tpl-process", 1, null, INSIDE);
    score("sc-c1", "c1", 2.5, "tab\there", INSIDE);
    score("sc-c1", "c2", null, null, INSIDE);
    score("sc-c2", "c1", 0.0, "", INSIDE);
    score("sc-p", "c1", 1.0, "p", INSIDE);
  }

  static ReindexJob.Summary run(Mode mode, boolean cleanUp) throws Exception {
    ReindexConfig config = ProcessReindexIT.config().withMode(mode).withCleanUpBeforeWrite(cleanUp);
    return ReindexJob.run(config, RunnerOptions.direct(), ReindexJob.Progress.NONE);
  }

  static VerificationReport verify(Mode mode) throws Exception {
    return new Verifier(TestDatabases.postgres(), TestDatabases.clickHouse()).verify(WINDOW, mode);
  }

  @Test
  void conversationModeWritesTheWindowsConversationsAndTheirScorecards() throws Exception {
    ReindexJob.Summary summary = run(Mode.conversation, false);

    assertThat(summary.read().get(ClickHouseTable.CONVERSATIONS)).isEqualTo(3);
    assertThat(clickHouseIds(ClickHouseTable.CONVERSATIONS))
        .containsExactly("conv-1", "conv-2", "conv-at-start");
    assertThat(clickHouseRows(ClickHouseTable.CONVERSATIONS))
        .isEqualTo(TestDatabases.expectedConversations(WINDOW));
    assertThat(clickHouseIds(ClickHouseTable.SCORECARDS))
        .containsExactly("sc-c-start", "sc-c1", "sc-c2");
    assertThat(clickHouseRows(ClickHouseTable.SCORECARDS))
        .isEqualTo(TestDatabases.expectedConversationScorecards(WINDOW));
    assertThat(clickHouseRows(ClickHouseTable.SCORES))
        .isEqualTo(TestDatabases.expectedConversationScores(WINDOW));
    VerificationReport report = verify(Mode.conversation);
    assertThat(report.equal()).as(report.describe()).isTrue();
    assertThat(report.table("conversations").postgresRows()).isEqualTo(3);
  }

  @Test
  void allModeWritesBothFlowsInOneRun() throws Exception {
    ReindexJob.Summary summary = run(Mode.all, false);

    assertThat(summary.written().get(ClickHouseTable.SCORECARDS)).isEqualTo(4);
    assertThat(clickHouseIds(ClickHouseTable.SCORECARDS))
        .containsExactly("sc-c-start", "sc-c1", "sc-c2", "sc-p");
    List<List<String>> expected =
        new ArrayList<>(TestDatabases.expectedConversationScorecards(WINDOW));
    expected.addAll(TestDatabases.expectedScorecards(WINDOW));
    expected.sort((a, b) -> a.get(2).compareTo(b.get(2)));
    assertThat(clickHouseRows(ClickHouseTable.SCORECARDS)).isEqualTo(expected);
    assertThat(clickHouseIds(ClickHouseTable.SCORES))
        .containsExactly("sc-c1/c1", "sc-c1/c2", "sc-c2/c1", "sc-p/c1");
    VerificationReport report = verify(Mode.all);
    assertThat(report.equal()).as(report.describe()).isTrue();
    assertThat(report.table("scorecards").postgresRows()).isEqualTo(4);
  }

  @Test
  void cleanUpAndVerificationWorkForConversationsToo() throws Exception {
    run(Mode.conversation, false);
    pg(
        "DELETE FROM director.historic_scorecard_scores WHERE scorecard_id = 'sc-c1' AND criterion_id = 'c2'");
    pg("DELETE FROM director.scorecards WHERE scorecard_id = 'sc-c2'");
    VerificationReport stale = verify(Mode.conversation);
    assertThat(stale.table("scores").extra())
        .containsExactly(List.of("sc-c1", "c2"), List.of("sc-c2", "c1"));
    assertThat(stale.table("scorecards").extra()).containsExactly(List.of("sc-c2"));

    ReindexJob.Summary summary = run(Mode.conversation, true);

    assertThat(summary.orphansDeleted()).isEqualTo(1);
    assertThat(clickHouseIds(ClickHouseTable.SCORECARDS)).containsExactly("sc-c-start", "sc-c1");
    assertThat(verify(Mode.conversation).equal()).isTrue();

    // A conversation lost from ClickHouse is found and repaired.
    TestDatabases.ch()
        .execute(
            "ALTER TABLE " + DATABASE + ".conversations DELETE WHERE conversation_id = 'conv-1'");
    while (TestDatabases.ch()
            .count(
                "SELECT count() FROM system.mutations WHERE database = '"
                    + DATABASE
                    + "' AND is_done = 0")
        > 0) {
      Thread.sleep(100);
    }
    assertThat(verify(Mode.conversation).table("conversations").missing())
        .containsExactly(List.of("conv-1"));
    CommandLine cli = ReindexCli.commandLine();
    cli.setErr(new PrintWriter(new StringWriter(), true));
    int exit =
        cli.execute(
            "verify",
            "--start",
            START.toString(),
            "--end",
            END.toString(),
            "--repair",
            "--pg-url",
            TestDatabases.postgres().jdbcUrl(),
            "--ch-url",
            TestDatabases.CH_URL,
            "--ch-database",
            DATABASE);
    assertThat(exit).as("conversation is the default mode").isEqualTo(ExitCodes.OK);
    assertThat(clickHouseIds(ClickHouseTable.CONVERSATIONS)).contains("conv-1");
  }
}
