package dev.scorecards.reindex.pipeline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Checks that ClickHouse received what the run wrote, independently of what the writer
 * reported: a writer can report success while sending empty inserts (seen with
 * clickhouse-jdbc 0.6.4 and ClickHouse 18.16). The keys and versions of the window's rows
 * are streamed from PostgreSQL into ClickHouse as external tables, in chunks, and ClickHouse
 * counts how many of them it holds at exactly that version.
 */
public final class WriteAccounting {
  static final int CHUNK_ROWS = 200_000;

  private final PostgresSettings postgres;
  private final ClickHouseClient clickHouse;

  public WriteAccounting(PostgresSettings postgres, ClickHouseClient clickHouse) {
    this.postgres = postgres;
    this.clickHouse = clickHouse;
  }

  /** How many rows PostgreSQL has in the window, and how many of those ClickHouse holds. */
  public record Received(
      long conversationsInPostgres, long conversationsInClickHouse,
      long scorecardsInPostgres, long scorecardsInClickHouse,
      long scoresInPostgres, long scoresInClickHouse) {}

  public Received check(ReindexWindow window, java.util.Set<Flow> flows) throws SQLException {
    ClickHouseSettings s = clickHouse.settings();
    long[] conversations = {0, 0};
    long[] scorecards = {0, 0};
    long[] scores = {0, 0};
    if (flows.contains(Flow.CONVERSATION)) {
      conversations = matchKeys(window, PostgresQueries.CONVERSATION_KEYS, 1, "id String, t UInt32",
          "SELECT uniqExact(conversation_id) FROM " + s.qualified(ClickHouseTable.CONVERSATIONS)
              + " WHERE (conversation_id, toUInt32(update_time)) IN (SELECT id, t FROM keys)");
    }
    for (Flow flow : flows) {
      long[] sc = matchKeys(window, flow.scorecardKeys, 1, "id String, t UInt32",
          "SELECT uniqExact(scorecard_id) FROM " + s.qualified(ClickHouseTable.SCORECARDS)
              + " WHERE (scorecard_id, toUInt32(update_time)) IN (SELECT id, t FROM keys)");
      long[] sr = matchKeys(window, flow.scoreKeys, 2, "id String, c String, t UInt32",
          "SELECT uniqExact(scorecard_id, criterion_id) FROM " + s.qualified(ClickHouseTable.SCORES)
              + " WHERE (scorecard_id, criterion_id, toUInt32(update_time)) IN (SELECT id, c, t FROM keys)");
      scorecards = new long[] {scorecards[0] + sc[0], scorecards[1] + sc[1]};
      scores = new long[] {scores[0] + sr[0], scores[1] + sr[1]};
    }
    return new Received(conversations[0], conversations[1], scorecards[0], scorecards[1], scores[0], scores[1]);
  }

  private long[] matchKeys(ReindexWindow window, String keysSql, int textColumns, String structure, String countSql)
      throws SQLException {
    long inPostgres = 0;
    long inClickHouse = 0;
    try (Connection connection = postgres.connect()) {
      connection.setAutoCommit(false); // lets the driver stream with a fetch size
      try (PreparedStatement statement = connection.prepareStatement(keysSql)) {
        statement.setFetchSize(10_000);
        statement.setObject(1, ReindexWindow.toOffsetDateTime(window.startMicros()));
        statement.setObject(2, ReindexWindow.toOffsetDateTime(window.endMicros()));
        try (ResultSet rs = statement.executeQuery()) {
          StringBuilder chunk = new StringBuilder();
          int rows = 0;
          while (rs.next()) {
            for (int i = 1; i <= textColumns; i++) {
              chunk.append(ClickHouseClient.tsvField(rs.getString(i))).append('\t');
            }
            chunk.append(rs.getLong(textColumns + 1)).append('\n');
            inPostgres++;
            if (++rows == CHUNK_ROWS) {
              inClickHouse += Long.parseLong(clickHouse.executeWithExternalTable(countSql, "keys", structure, chunk).trim());
              chunk.setLength(0);
              rows = 0;
            }
          }
          if (rows > 0) {
            inClickHouse += Long.parseLong(clickHouse.executeWithExternalTable(countSql, "keys", structure, chunk).trim());
          }
        }
      }
      connection.rollback();
    }
    return new long[] {inPostgres, inClickHouse};
  }
}
