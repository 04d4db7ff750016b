package dev.scorecards.reindex.testing;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.postgres.PostgresSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The real PostgreSQL and ClickHouse servers of {@code ./reindex services start}, with databases of
 * the tests' own ({@code reindex_test}) so that tests never touch the demo's data. Also the tests'
 * independent statement of the mapping: the expected ClickHouse rows are computed by SQL in
 * PostgreSQL, not by the Java mapping under test.
 */
public final class TestDatabases {
  public static final String DATABASE = "reindex_test";
  public static final String PG_HOST =
      System.getenv().getOrDefault("REINDEX_TEST_PG", "127.0.0.1:55432");
  public static final String CH_URL =
      System.getenv().getOrDefault("REINDEX_TEST_CH_URL", "http://127.0.0.1:18123");
  private static final Path CONTRACT = Path.of("..", "contract");
  private static boolean prepared;

  private TestDatabases() {}

  public static PostgresSettings postgres() {
    return new PostgresSettings("jdbc:postgresql://" + PG_HOST + "/" + DATABASE, "reindex", null);
  }

  public static ClickHouseSettings clickHouse() {
    return new ClickHouseSettings(CH_URL, DATABASE, "default", null);
  }

  public static ClickHouseClient ch() {
    return new ClickHouseClient(clickHouse());
  }

  /** Creates the test databases and the contract tables in them, once per JVM. */
  public static synchronized void prepare() throws SQLException, IOException {
    if (prepared) {
      return;
    }
    try (Connection admin =
            new PostgresSettings("jdbc:postgresql://" + PG_HOST + "/reindex", "reindex", null)
                .connect();
        Statement st = admin.createStatement()) {
      ResultSet rs =
          st.executeQuery("SELECT count(*) FROM pg_database WHERE datname = '" + DATABASE + "'");
      rs.next();
      if (rs.getLong(1) == 0) {
        st.execute("CREATE DATABASE " + DATABASE);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "PostgreSQL is not running on " + PG_HOST + ": start it with ./reindex services start",
          e);
    }
    try (Connection c = postgres().connect();
        Statement st = c.createStatement()) {
      st.execute("SET client_min_messages = warning");
      st.execute(Files.readString(CONTRACT.resolve("postgres.sql")));
    }
    new ClickHouseClient(new ClickHouseSettings(CH_URL, "default", "default", null))
        .execute("CREATE DATABASE IF NOT EXISTS " + DATABASE);
    for (String statement :
        ClickHouseTable.ddlStatements(Files.readString(CONTRACT.resolve("clickhouse.sql")))) {
      ch().execute(statement);
    }
    prepared = true;
  }

  public static void emptyAll() throws SQLException, IOException {
    try (Connection c = postgres().connect();
        Statement st = c.createStatement()) {
      st.execute(
          "TRUNCATE director.historic_scorecard_scores, director.scorecards, director.scorecard_template_revisions, app.chats");
    }
    // Dropped and created again, not truncated. Seen: a fault test's run failing its accounting
    // with 5 of 10,455 scores missing, only when it ran after the SIGKILLed clean-up test; with
    // DROP/CREATE that order passes. Suspected, not proven (a scratch experiment did not
    // reproduce it): ClickHouse 18.16 keeps a truncated table's parts on disk for minutes
    // (old_parts_lifetime) and its mutations for good, so a server restarted after a kill may
    // apply an earlier test's DELETE mutations to the next test's rows.
    for (String table : List.of("conversations", "scorecards", "scores")) {
      ch().execute("DROP TABLE IF EXISTS " + DATABASE + "." + table);
    }
    for (String statement :
        ClickHouseTable.ddlStatements(Files.readString(CONTRACT.resolve("clickhouse.sql")))) {
      ch().execute(statement);
    }
    // No test resumes another test's unfinished run of the same window.
    for (String table :
        List.of(
            dev.scorecards.reindex.run.RunLedger.RUNS,
            dev.scorecards.reindex.run.RunLedger.CHUNKS,
            dev.scorecards.reindex.run.RunLease.TABLE)) {
      ch().execute("DROP TABLE IF EXISTS " + DATABASE + "." + table);
    }
  }

  public static void pg(String sql, Object... params) throws SQLException {
    try (Connection c = postgres().connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        Object p = params[i] instanceof Instant t ? t.atOffset(ZoneOffset.UTC) : params[i];
        ps.setObject(i + 1, p);
      }
      ps.execute();
    }
  }

  public static void template(String id, int revision, int type) throws SQLException {
    pg(
        "INSERT INTO director.scorecard_template_revisions VALUES (?, ?, 'cust-1', 'prof-1', ?, 'title', '2025-01-01T00:00:00Z')",
        id,
        revision,
        (short) type);
  }

  /** A scorecard with every nullable column set; {@link #pg} can NULL them afterwards. */
  public static void scorecard(
      String id, String template, int revision, String conversationId, Instant updatedAt)
      throws SQLException {
    pg(
        "INSERT INTO director.scorecards VALUES (?, 'cust-1', 'prof-1', ?, ?, ?, 'agent-1', 'creator-1', 'submitter-1', 42.25, ?, ?, ?)",
        id,
        template,
        revision,
        conversationId,
        updatedAt.minusSeconds(60),
        updatedAt.minusSeconds(3600).plusNanos(999_999_000),
        updatedAt);
  }

  public static void score(
      String scorecardId, String criterion, Double value, String comment, Instant updatedAt)
      throws SQLException {
    pg(
        "INSERT INTO director.historic_scorecard_scores VALUES (?, ?, ?, false, true, ?, ?, ?)",
        scorecardId,
        criterion,
        value,
        comment,
        updatedAt.minusSeconds(10),
        updatedAt);
  }

  // ---- the expected ClickHouse content, computed in PostgreSQL ----

  private static final String PROCESS_IN_WINDOW =
      " FROM director.scorecards s JOIN director.scorecard_template_revisions r"
          + " ON r.template_id = s.template_id AND r.revision = s.template_revision"
          + " WHERE r.type = 2 AND s.updated_at >= ? AND s.updated_at < ?";

  private static String secs(String column) {
    return "floor(extract(epoch FROM " + column + "))::bigint::text";
  }

  public static void chat(String id, Instant updatedAt) throws SQLException {
    pg(
        "INSERT INTO app.chats VALUES (?, 'cust-1', 'prof-1', NULL, 2, 'en', ?, NULL, ?, ?)",
        id,
        updatedAt.minusSeconds(7200).plusNanos(500_000),
        updatedAt.minusSeconds(7200),
        updatedAt);
  }

  private static final String CONVERSATION_SCORECARDS_OF_WINDOW =
      " FROM director.scorecards s JOIN director.scorecard_template_revisions r"
          + " ON r.template_id = s.template_id AND r.revision = s.template_revision"
          + " WHERE r.type = 1 AND s.conversation_id IN (SELECT conversation_id FROM app.chats WHERE updated_at >= ? AND updated_at < ?)";

  public static List<List<String>> expectedConversations(ReindexWindow w) throws SQLException {
    return pgRows(
        "SELECT customer_id, profile_id, conversation_id, coalesce(agent_user_id, ''), channel::text, coalesce(language, ''), "
            + secs("started_at")
            + ", "
            + secs("ended_at")
            + ", "
            + secs("created_at")
            + ", "
            + secs("updated_at")
            + " FROM app.chats WHERE updated_at >= ? AND updated_at < ?",
        w,
        -10);
  }

  /** The conversation scorecards of the window's conversations, and their scores, mapped in SQL. */
  public static List<List<String>> expectedConversationScorecards(ReindexWindow w)
      throws SQLException {
    return pgRows(
        "SELECT s.customer_id, s.profile_id, s.scorecard_id, s.template_id, s.template_revision::text, '0',"
            + " coalesce(s.conversation_id, ''), coalesce(s.agent_user_id, ''), s.creator_user_id, coalesce(s.submitter_user_id, ''),"
            + " s.score, "
            + secs("s.submitted_at")
            + ", "
            + secs("s.created_at")
            + ", "
            + secs("s.updated_at")
            + CONVERSATION_SCORECARDS_OF_WINDOW,
        w,
        10);
  }

  public static List<List<String>> expectedConversationScores(ReindexWindow w) throws SQLException {
    return pgRows(
        "SELECT s.customer_id, s.profile_id, h.scorecard_id, h.criterion_id, '0', coalesce(s.conversation_id, ''),"
            + " h.numeric_value, h.not_applicable::int::text, h.ai_scored::int::text, coalesce(h.comment, ''),"
            + " "
            + secs("s.created_at")
            + ", "
            + secs("h.updated_at")
            + " FROM director.historic_scorecard_scores h JOIN (SELECT s.*"
            + CONVERSATION_SCORECARDS_OF_WINDOW
            + ") s ON s.scorecard_id = h.scorecard_id",
        w,
        6);
  }

  public static List<List<String>> expectedScorecards(ReindexWindow w) throws SQLException {
    return pgRows(
        "SELECT s.customer_id, s.profile_id, s.scorecard_id, s.template_id, s.template_revision::text, '1',"
            + " coalesce(s.conversation_id, ''), coalesce(s.agent_user_id, ''), s.creator_user_id, coalesce(s.submitter_user_id, ''),"
            + " s.score, "
            + secs("s.submitted_at")
            + ", "
            + secs("s.created_at")
            + ", "
            + secs("s.updated_at")
            + PROCESS_IN_WINDOW,
        w,
        10);
  }

  public static List<List<String>> expectedScores(ReindexWindow w) throws SQLException {
    return pgRows(
        "SELECT s.customer_id, s.profile_id, h.scorecard_id, h.criterion_id, '1', coalesce(s.conversation_id, ''),"
            + " h.numeric_value, h.not_applicable::int::text, h.ai_scored::int::text, coalesce(h.comment, ''),"
            + " "
            + secs("s.created_at")
            + ", "
            + secs("h.updated_at")
            + " FROM director.historic_scorecard_scores h JOIN (SELECT s.*"
            + PROCESS_IN_WINDOW
            + ") s ON s.scorecard_id = h.scorecard_id",
        w,
        6);
  }

  /**
   * Rows of a query with the window as its two parameters; {@code floatColumn} (0-based, or
   * negative for none) is made canonical.
   */
  public static List<List<String>> pgRows(String sql, ReindexWindow w, int floatColumn)
      throws SQLException {
    List<List<String>> rows = new ArrayList<>();
    try (Connection c = postgres().connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setObject(1, w.start().atOffset(ZoneOffset.UTC));
      ps.setObject(2, w.end().atOffset(ZoneOffset.UTC));
      try (ResultSet rs = ps.executeQuery()) {
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          List<String> row = new ArrayList<>();
          for (int i = 1; i <= n; i++) {
            row.add(
                i == floatColumn + 1
                    ? canonicalDouble(
                        rs.getObject(i) == null ? null : String.valueOf(rs.getDouble(i)))
                    : rs.getString(i));
          }
          rows.add(row);
        }
      }
    }
    rows.sort(ROWS);
    return rows;
  }

  /**
   * Every row ClickHouse holds in a table, read with FINAL, times as epoch seconds, floats
   * canonical.
   */
  public static List<List<String>> clickHouseRows(ClickHouseTable table) {
    String columns =
        table.columns().stream()
            .map(
                c ->
                    c.clickHouseType().contains("DateTime")
                        ? "toUInt32(" + c.name() + ")"
                        : c.name())
            .collect(Collectors.joining(", "));
    List<List<String>> rows =
        ch().rows("SELECT " + columns + " FROM " + DATABASE + "." + table.tableName() + " FINAL");
    for (List<String> row : rows) {
      for (int i = 0; i < row.size(); i++) {
        if (table.columns().get(i).clickHouseType().contains("Float64")) {
          row.set(i, canonicalDouble(row.get(i)));
        }
      }
    }
    rows.sort(ROWS);
    return rows;
  }

  public static List<String> clickHouseIds(ClickHouseTable table) {
    return clickHouseRows(table).stream()
        .map(r -> r.get(2) + (table == ClickHouseTable.SCORES ? "/" + r.get(3) : ""))
        .sorted()
        .toList();
  }

  public static long clickHouseRowCount(String table) {
    return ch().count("SELECT count() FROM " + DATABASE + "." + table);
  }

  private static String canonicalDouble(String text) {
    return text == null ? null : Double.toString(Double.parseDouble(text));
  }

  private static final Comparator<List<String>> ROWS =
      (a, b) -> {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
          int c =
              Comparator.nullsFirst(Comparator.<String>naturalOrder()).compare(a.get(i), b.get(i));
          if (c != 0) {
            return c;
          }
        }
        return Integer.compare(a.size(), b.size());
      };
}
