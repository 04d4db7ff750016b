package dev.scorecards.reindex.pipeline;

import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

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
    long[] conversations = {0, 0};
    long[] scorecards = {0, 0};
    long[] scores = {0, 0};
    if (flows.contains(Flow.CONVERSATION)) {
      conversations = matchKeys(window, PostgresQueries.CONVERSATION_KEYS, ClickHouseTable.CONVERSATIONS, "conversation_id", null);
    }
    for (Flow flow : flows) {
      // The scores' keys are ten times the scorecards': match both at once, on two connections.
      java.util.concurrent.CompletableFuture<long[]> scoreMatch = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return matchKeys(window, flow.scoreKeys, ClickHouseTable.SCORES, "scorecard_id", "criterion_id");
        } catch (SQLException e) {
          throw new java.util.concurrent.CompletionException(e);
        }
      });
      long[] sc = matchKeys(window, flow.scorecardKeys, ClickHouseTable.SCORECARDS, "scorecard_id", null);
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
   * A row's key and version as one ClickHouse string, {@code <bytes of id>:<id><second>:<version>}:
   * a one-to-one encoding (the length ends at the first colon and fixes where the id ends;
   * the version is the digits after the last colon), so matching these strings is matching
   * the keys exactly. ClickHouse builds and probes a set of single strings about twice as
   * fast as a set of tuples of them (1M score keys against 2M rows: 0.7-0.8 s instead of
   * 1.5-1.6 s). Both sides of the match are encoded by this one expression, in ClickHouse.
   */
  static String versionedKey(String id, String second, String version) {
    return "concat(toString(length(" + id + ")), ':', " + id + (second == null ? "" : ", " + second) + ", ':', toString(" + version + "))";
  }

  /**
   * Streams the keys {@code keysSql} selects for the window from PostgreSQL into one ClickHouse
   * query as an external table: PostgreSQL reads while ClickHouse builds its set, and ClickHouse
   * scans its table once (it did once per 200,000 keys, a third of a run's time at 2 million scores).
   * The keys travel as PostgreSQL's {@code COPY ... TO STDOUT} text, which is ClickHouse's
   * TabSeparated (same escapes), byte for byte: this process parses none of them (decoding and
   * re-encoding them was a tenth of the run's CPU). COPY takes no parameters, so the window's
   * bounds are written into the statement as timestamp literals made from their microseconds.
   */
  private long[] matchKeys(ReindexWindow window, String keysSql, ClickHouseTable table, String idColumn, String secondColumn)
      throws SQLException {
    // The keys arrive as columns id[, c], t; ClickHouse first narrows the table to the keys' ids
    // (PREWHERE: 0.40-0.45 -> 0.32-0.36 s for 437,661 score keys against 2 million rows), then
    // counts the distinct keys it holds at exactly their version.
    String structure = secondColumn == null ? "id String, t UInt32" : "id String, c String, t UInt32";
    String countSql = "SELECT uniqExact(" + idColumn + (secondColumn == null ? "" : ", " + secondColumn) + ") FROM "
        + clickHouse.settings().qualified(table)
        + " PREWHERE " + idColumn + " IN (SELECT id FROM keys)"
        + " WHERE " + versionedKey(idColumn, secondColumn, "toUInt32(update_time)")
        + " IN (SELECT " + versionedKey("id", secondColumn == null ? null : "c", "t") + " FROM keys)";
    String copy = "COPY (" + PostgresQueries.withWindowLiterals(keysSql, window) + ") TO STDOUT";
    long[] inPostgres = {0};
    long inClickHouse;
    try (Connection connection = postgres.connect()) {
      CopyManager copier = connection.unwrap(PGConnection.class).getCopyAPI();
      inClickHouse = Long.parseLong(clickHouse.executeWithStreamedExternalTable(countSql, "keys", structure,
          out -> inPostgres[0] = copier.copyOut(copy, out)).trim());
    }
    return new long[] {inPostgres[0], inClickHouse};
  }
}
