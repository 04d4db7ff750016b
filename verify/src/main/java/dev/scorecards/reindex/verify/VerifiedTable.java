package dev.scorecards.reindex.verify;

import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.postgres.PostgresQueries;
import java.util.List;
import java.util.Map;

/**
 * A target table as one flow's verification sees it: for each ClickHouse column the PostgreSQL
 * expression it maps from (the mapping of {@code contract/clickhouse.sql}, stated in SQL so that it
 * runs inside PostgreSQL), the key, the id that buckets it, and which PostgreSQL rows belong to the
 * window ({@code postgresFrom}, with the window as two parameters).
 */
record VerifiedTable(
    ClickHouseTable table,
    String postgresFrom,
    List<String> key,
    String bucketColumn,
    Map<String, String> postgresExpressions) {

  private static final Map<String, String> SCORECARD_SOURCES =
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
          Map.entry("update_time", "s.updated_at"));

  private static final Map<String, String> SCORE_SOURCES =
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
          Map.entry("update_time", "h.updated_at"));

  private static final Map<String, String> CONVERSATION_SOURCES =
      Map.ofEntries(
          Map.entry("customer_id", "c.customer_id"),
          Map.entry("profile_id", "c.profile_id"),
          Map.entry("conversation_id", "c.conversation_id"),
          Map.entry("agent_user_id", "coalesce(c.agent_user_id, '')"),
          Map.entry("channel", "c.channel"),
          Map.entry("language", "coalesce(c.language, '')"),
          Map.entry("start_time", "c.started_at"),
          Map.entry("end_time", "c.ended_at"),
          Map.entry("create_time", "c.created_at"),
          Map.entry("update_time", "c.updated_at"));

  static final VerifiedTable PROCESS_SCORECARDS =
      new VerifiedTable(
          ClickHouseTable.SCORECARDS,
          PostgresQueries.PROCESS_SCORECARDS_FROM,
          List.of("scorecard_id"),
          "scorecard_id",
          SCORECARD_SOURCES);
  static final VerifiedTable PROCESS_SCORES =
      new VerifiedTable(
          ClickHouseTable.SCORES,
          PostgresQueries.PROCESS_SCORES_FROM,
          List.of("scorecard_id", "criterion_id"),
          "scorecard_id",
          SCORE_SOURCES);
  static final VerifiedTable CONVERSATIONS =
      new VerifiedTable(
          ClickHouseTable.CONVERSATIONS,
          PostgresQueries.CONVERSATIONS_FROM,
          List.of("conversation_id"),
          "conversation_id",
          CONVERSATION_SOURCES);
  static final VerifiedTable CONVERSATION_SCORECARDS =
      new VerifiedTable(
          ClickHouseTable.SCORECARDS,
          PostgresQueries.CONVERSATION_SCORECARDS_FROM,
          List.of("scorecard_id"),
          "scorecard_id",
          SCORECARD_SOURCES);
  static final VerifiedTable CONVERSATION_SCORES =
      new VerifiedTable(
          ClickHouseTable.SCORES,
          PostgresQueries.CONVERSATION_SCORES_FROM,
          List.of("scorecard_id", "criterion_id"),
          "scorecard_id",
          SCORE_SOURCES);

  VerifiedTable {
    for (ClickHouseTable.Column c : table.columns()) {
      if (!postgresExpressions.containsKey(c.name())) {
        throw new IllegalStateException(
            "no PostgreSQL source for " + table.tableName() + "." + c.name());
      }
    }
  }

  /** The PostgreSQL expression of the bucketing id. */
  String postgresBucketId() {
    return postgresExpressions.get(bucketColumn);
  }

  List<String> postgresKey() {
    return key.stream().map(postgresExpressions::get).toList();
  }

  List<String> postgresCanonical() {
    return table.columns().stream()
        .map(c -> CanonicalSql.postgres(c.clickHouseType(), postgresExpressions.get(c.name())))
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
