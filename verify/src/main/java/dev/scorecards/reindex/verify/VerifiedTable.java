package dev.scorecards.reindex.verify;

import dev.scorecards.reindex.pipeline.ClickHouseTable;
import dev.scorecards.reindex.pipeline.PostgresQueries;
import java.util.List;
import java.util.Map;

/**
 * A target table as verification sees it: for each of its ClickHouse columns, the
 * PostgreSQL expression it maps from (the mapping of {@code contract/clickhouse.sql}, stated
 * in SQL so that it runs inside PostgreSQL), the key, and which PostgreSQL rows belong to a
 * window.
 */
enum VerifiedTable {
  SCORECARDS(
      ClickHouseTable.SCORECARDS,
      PostgresQueries.PROCESS_SCORECARDS_FROM,
      List.of("scorecard_id"),
      Map.ofEntries(
          Map.entry("customer_id", "s.customer_id"),
          Map.entry("profile_id", "s.profile_id"),
          Map.entry("scorecard_id", "s.scorecard_id"),
          Map.entry("template_id", "s.template_id"),
          Map.entry("template_revision", "s.template_revision"),
          Map.entry("is_process_scorecard", "CASE WHEN r.type = 2 THEN 1 ELSE 0 END"),
          Map.entry("conversation_id", "coalesce(s.conversation_id, '')"),
          Map.entry("agent_user_id", "coalesce(s.agent_user_id, '')"),
          Map.entry("creator_user_id", "coalesce(s.creator_user_id, '')"),
          Map.entry("submitter_user_id", "coalesce(s.submitter_user_id, '')"),
          Map.entry("score", "s.score"),
          Map.entry("submit_time", "s.submitted_at"),
          Map.entry("create_time", "s.created_at"),
          Map.entry("update_time", "s.updated_at"))),
  SCORES(
      ClickHouseTable.SCORES,
      PostgresQueries.PROCESS_SCORES_FROM,
      List.of("scorecard_id", "criterion_id"),
      Map.ofEntries(
          Map.entry("customer_id", "s.customer_id"),
          Map.entry("profile_id", "s.profile_id"),
          Map.entry("scorecard_id", "h.scorecard_id"),
          Map.entry("criterion_id", "h.criterion_id"),
          Map.entry("is_process_scorecard", "CASE WHEN r.type = 2 THEN 1 ELSE 0 END"),
          Map.entry("conversation_id", "coalesce(s.conversation_id, '')"),
          Map.entry("numeric_value", "h.numeric_value"),
          Map.entry("not_applicable", "h.not_applicable::int"),
          Map.entry("ai_scored", "h.ai_scored::int"),
          Map.entry("comment", "coalesce(h.comment, '')"),
          Map.entry("scorecard_create_time", "s.created_at"),
          Map.entry("update_time", "h.updated_at")));

  final ClickHouseTable table;
  /** {@code FROM ... WHERE ...} of the window's rows in PostgreSQL, with the window as two parameters. */
  final String postgresFrom;
  final List<String> key;
  private final Map<String, String> postgresExpressions;

  VerifiedTable(ClickHouseTable table, String postgresFrom, List<String> key, Map<String, String> postgresExpressions) {
    this.table = table;
    this.postgresFrom = postgresFrom;
    this.key = key;
    this.postgresExpressions = postgresExpressions;
    for (ClickHouseTable.Column c : table.columns()) {
      if (!postgresExpressions.containsKey(c.name())) {
        throw new IllegalStateException("no PostgreSQL source for " + table.tableName() + "." + c.name());
      }
    }
  }

  /** The PostgreSQL expression of the scorecard id, which buckets both tables alike. */
  String postgresScorecardId() {
    return postgresExpressions.get("scorecard_id");
  }

  List<String> postgresKey() {
    return key.stream().map(postgresExpressions::get).toList();
  }

  List<String> postgresCanonical() {
    return table.columns().stream().map(c -> CanonicalSql.postgres(c.clickHouseType(), postgresExpressions.get(c.name()))).toList();
  }

  List<String> clickHouseCanonical() {
    return table.columns().stream().map(c -> CanonicalSql.clickHouse(c.clickHouseType(), c.name())).toList();
  }

  List<String> columnNames() {
    return table.columns().stream().map(ClickHouseTable.Column::name).toList();
  }
}
