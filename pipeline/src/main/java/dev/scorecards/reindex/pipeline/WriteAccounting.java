package dev.scorecards.reindex.pipeline;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Checks that ClickHouse received what the run wrote, independently of what the writer
 * reported: a writer can report success while sending empty inserts (seen with
 * clickhouse-jdbc 0.6.4 and ClickHouse 18.16). The keys and versions of the window's rows
 * are streamed from PostgreSQL into ClickHouse as external tables, and ClickHouse
 * counts how many of them it holds at exactly that version.
 */
public final class WriteAccounting {
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
      // The scores' keys are ten times the scorecards': match both at once, on two connections.
      java.util.concurrent.CompletableFuture<long[]> scoreMatch = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return matchKeys(window, flow.scoreKeys, 2, "id String, c String, t UInt32",
              "SELECT uniqExact(scorecard_id, criterion_id) FROM " + s.qualified(ClickHouseTable.SCORES)
                  + " WHERE (scorecard_id, criterion_id, toUInt32(update_time)) IN (SELECT id, c, t FROM keys)");
        } catch (SQLException e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      });
      long[] sc = matchKeys(window, flow.scorecardKeys, 1, "id String, t UInt32",
          "SELECT uniqExact(scorecard_id) FROM " + s.qualified(ClickHouseTable.SCORECARDS)
              + " WHERE (scorecard_id, toUInt32(update_time)) IN (SELECT id, t FROM keys)");
      long[] sr;
      try {
        sr = scoreMatch.join();
      } catch (java.util.concurrent.CompletionException e) {
        if (e.getCause() instanceof SQLException sql) {
          throw sql;
        }
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
      scorecards = new long[] {scorecards[0] + sc[0], scorecards[1] + sc[1]};
      scores = new long[] {scores[0] + sr[0], scores[1] + sr[1]};
    }
    return new Received(conversations[0], conversations[1], scorecards[0], scorecards[1], scores[0], scores[1]);
  }

  /**
   * Streams the keys {@code keysSql} selects for the window from PostgreSQL into one ClickHouse
   * query as an external table: PostgreSQL reads while ClickHouse builds its set, and ClickHouse
   * scans its table once (it did once per 200,000 keys, a third of a run's time at 2 million scores).
   */
  private long[] matchKeys(ReindexWindow window, String keysSql, int textColumns, String structure, String countSql)
      throws SQLException {
    long[] inPostgres = {0};
    long inClickHouse;
    try (Connection connection = postgres.connect()) {
      connection.setAutoCommit(false); // lets the driver stream with a fetch size
      try (PreparedStatement statement = connection.prepareStatement(keysSql)) {
        statement.setFetchSize(10_000);
        statement.setObject(1, ReindexWindow.toOffsetDateTime(window.startMicros()));
        statement.setObject(2, ReindexWindow.toOffsetDateTime(window.endMicros()));
        inClickHouse = Long.parseLong(clickHouse.executeWithStreamedExternalTable(countSql, "keys", structure, out -> {
          try (ResultSet rs = statement.executeQuery()) {
            while (rs.next()) {
              for (int i = 1; i <= textColumns; i++) {
                out.write(ClickHouseClient.tsvField(rs.getString(i)));
                out.write('\t');
              }
              out.write(Long.toString(rs.getLong(textColumns + 1)));
              out.write('\n');
              inPostgres[0]++;
            }
          }
        }).trim());
      }
      connection.rollback();
    }
    return new long[] {inPostgres[0], inClickHouse};
  }
}
