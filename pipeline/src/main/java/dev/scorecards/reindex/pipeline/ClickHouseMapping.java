package dev.scorecards.reindex.pipeline;

import java.time.Instant;
import org.apache.beam.sdk.values.Row;

/**
 * The mapping of {@code contract/clickhouse.sql}, from PostgreSQL values to ClickHouse rows:
 * text NULL becomes '', booleans become 0/1, timestamps become UTC whole seconds
 * (truncated, not rounded), and {@code is_process_scorecard} is 1 exactly when the
 * template revision has type 2.
 *
 * <p>Rows are built with {@code attachValues}, which skips Beam's per-row type check: that
 * check was a fifth of the pipeline's CPU (profiled with JFR at 2 million scores). The types
 * are checked once per kind of row by {@code ClickHouseMappingTest} instead.
 */
public final class ClickHouseMapping {
  public static final int PROCESS_TEMPLATE_TYPE = 2;
  public static final int CONVERSATION_TEMPLATE_TYPE = 1;

  private ClickHouseMapping() {}

  public static Row scorecard(SourceScorecard s) {
    return Row.withSchema(ClickHouseTable.SCORECARDS.beamSchema())
        .attachValues(
            text(s.customerId()),
            text(s.profileId()),
            text(s.scorecardId()),
            text(s.templateId()),
            s.templateRevision(),
            isProcess(s.templateType()),
            text(s.conversationId()),
            text(s.agentUserId()),
            text(s.creatorUserId()),
            text(s.submitterUserId()),
            s.score(),
            secondsOrNull(s.submittedAt()),
            seconds(s.createdAt()),
            seconds(s.updatedAt()));
  }

  public static Row conversation(SourceConversation c) {
    return Row.withSchema(ClickHouseTable.CONVERSATIONS.beamSchema())
        .attachValues(
            text(c.customerId()),
            text(c.profileId()),
            text(c.conversationId()),
            text(c.agentUserId()),
            (short) c.channel(),
            text(c.language()),
            seconds(c.startedAt()),
            secondsOrNull(c.endedAt()),
            seconds(c.createdAt()),
            seconds(c.updatedAt()));
  }

  /** A score row; the scorecard columns it repeats come from its (already mapped) scorecard. */
  public static Row score(Row scorecard, SourceScore s) {
    if (!scorecard.getString("scorecard_id").equals(text(s.scorecardId()))) {
      throw new IllegalArgumentException(
          "score of scorecard " + s.scorecardId() + " joined to scorecard " + scorecard.getString("scorecard_id"));
    }
    return Row.withSchema(ClickHouseTable.SCORES.beamSchema())
        .attachValues(
            scorecard.getString("customer_id"),
            scorecard.getString("profile_id"),
            scorecard.getString("scorecard_id"),
            text(s.criterionId()),
            scorecard.getInt16("is_process_scorecard"),
            scorecard.getString("conversation_id"),
            s.numericValue(),
            flag(s.notApplicable()),
            flag(s.aiScored()),
            text(s.comment()),
            instant(scorecard.getValue("create_time")),
            seconds(s.updatedAt()));
  }

  /** A joda Instant, the type Beam's coders expect for DATETIME ({@code Row.getDateTime} hands out a DateTime). */
  static org.joda.time.Instant instant(Object value) {
    return value instanceof org.joda.time.Instant i ? i : new org.joda.time.Instant(((org.joda.time.ReadableInstant) value).getMillis());
  }

  static String text(String value) {
    return value == null ? "" : value;
  }

  static short flag(boolean value) {
    return (short) (value ? 1 : 0);
  }

  static short isProcess(int templateType) {
    return flag(templateType == PROCESS_TEMPLATE_TYPE);
  }

  /** UTC whole seconds, truncated towards the past (also before 1970). */
  static org.joda.time.Instant seconds(Instant t) {
    if (t == null) {
      throw new IllegalArgumentException("a NOT NULL timestamp is null");
    }
    return new org.joda.time.Instant(Math.multiplyExact(t.getEpochSecond(), 1000L));
  }

  static org.joda.time.Instant secondsOrNull(Instant t) {
    return t == null ? null : seconds(t);
  }
}
