package dev.scorecards.reindex.verify;

import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.postgres.PostgresQueries;
import java.util.List;

/**
 * A target table as one flow's verification sees it: the table (whose declaration gives, for each
 * ClickHouse column, the PostgreSQL expression it maps from, and the key) and which PostgreSQL rows
 * belong to the window ({@code postgresFrom}, with the window as two parameters).
 */
record VerifiedTable(ClickHouseTable table, String postgresFrom) {

  static final VerifiedTable PROCESS_SCORECARDS =
      new VerifiedTable(ClickHouseTable.SCORECARDS, PostgresQueries.PROCESS_SCORECARDS_FROM);
  static final VerifiedTable PROCESS_SCORES =
      new VerifiedTable(ClickHouseTable.SCORES, PostgresQueries.PROCESS_SCORES_FROM);
  static final VerifiedTable CONVERSATIONS =
      new VerifiedTable(ClickHouseTable.CONVERSATIONS, PostgresQueries.CONVERSATIONS_FROM);
  static final VerifiedTable CONVERSATION_SCORECARDS =
      new VerifiedTable(ClickHouseTable.SCORECARDS, PostgresQueries.CONVERSATION_SCORECARDS_FROM);
  static final VerifiedTable CONVERSATION_SCORES =
      new VerifiedTable(ClickHouseTable.SCORES, PostgresQueries.CONVERSATION_SCORES_FROM);

  List<String> key() {
    return table.key();
  }

  /** The id that buckets the rows: their scorecard's or conversation's. */
  String bucketColumn() {
    return table.idColumn();
  }

  /** The PostgreSQL expression of the bucketing id. */
  String postgresBucketId() {
    return table.column(table.idColumn()).postgres();
  }

  List<String> postgresKey() {
    return table.key().stream().map(k -> table.column(k).postgres()).toList();
  }

  List<String> postgresCanonical() {
    return table.columns().stream()
        .map(c -> CanonicalSql.postgres(c.clickHouseType(), c.postgres()))
        .toList();
  }

  List<String> clickHouseCanonical() {
    return table.columns().stream()
        .map(c -> CanonicalSql.clickHouse(c.clickHouseType(), c.name()))
        .toList();
  }

  List<String> columnNames() {
    return table.columns().stream().map(ClickHouseTable.Column::name).toList();
  }

  String name() {
    return table.tableName();
  }
}
