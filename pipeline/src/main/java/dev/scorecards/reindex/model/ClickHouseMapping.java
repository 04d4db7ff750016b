package dev.scorecards.reindex.model;

import java.time.Instant;
import org.apache.beam.sdk.values.Row;

/**
 * The mapping of {@code contract/clickhouse.sql}, from PostgreSQL values to ClickHouse rows: text
 * NULL becomes '', booleans become 0/1, timestamps become UTC whole seconds (truncated, not
 * rounded), and {@code is_process_scorecard} is 1 exactly when the template revision has type 2.
 *
 * <p>Rows are built with {@code attachValues}, which skips Beam's per-row type check: that check
 * was a fifth of the pipeline's CPU (profiled with JFR at 2 million scores). The types are checked
 * once per kind of row by {@code ClickHouseMappingTest} instead.
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

  /**
   * A score row; the scorecard columns it repeats come from its (already mapped) scorecard, read by
   * position (by name, each is a lookup in the schema's map: 2 million scores, 7 each).
   */
  public static Row score(Row scorecard, SourceScore s) {
    String scorecardId = scorecard.getString(SCORECARD_ID);
    if (!scorecardId.equals(text(s.scorecardId()))) {
      throw new IllegalArgumentException(
          "score of scorecard " + s.scorecardId() + " joined to scorecard " + scorecardId);
    }
    return Row.withSchema(ClickHouseTable.SCORES.beamSchema())
        .attachValues(
            scorecard.getString(CUSTOMER_ID),
            scorecard.getString(PROFILE_ID),
            scorecardId,
            text(s.criterionId()),
            scorecard.getInt16(IS_PROCESS_SCORECARD),
            scorecard.getString(CONVERSATION_ID),
            s.numericValue(),
            flag(s.notApplicable()),
            flag(s.aiScored()),
            text(s.comment()),
            instant(scorecard.getValue(CREATE_TIME)),
            seconds(s.updatedAt()));
  }

  private static final int SCORECARD_ID = scorecardColumn("scorecard_id");
  private static final int CUSTOMER_ID = scorecardColumn("customer_id");
  private static final int PROFILE_ID = scorecardColumn("profile_id");
  private static final int IS_PROCESS_SCORECARD = scorecardColumn("is_process_scorecard");
  private static final int CONVERSATION_ID = scorecardColumn("conversation_id");
  private static final int CREATE_TIME = scorecardColumn("create_time");

  private static int scorecardColumn(String name) {
    return ClickHouseTable.SCORECARDS.beamSchema().indexOf(name);
  }

  /**
   * A joda Instant, the type Beam's coders expect for DATETIME ({@code Row.getDateTime} hands out a
   * DateTime).
   */
  static org.joda.time.Instant instant(Object value) {
    return value instanceof org.joda.time.Instant i
        ? i
        : new org.joda.time.Instant(((org.joda.time.ReadableInstant) value).getMillis());
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
