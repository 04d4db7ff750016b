package dev.scorecards.reindex.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.apache.beam.sdk.values.Row;
import org.junit.jupiter.api.Test;

public class ClickHouseMappingTest {
  /** A score's own values, as PostgreSQL gives them, by column. */
  public static Object[] ownScore(
      String scorecardId,
      String criterion,
      Double value,
      boolean notApplicable,
      boolean aiScored,
      String comment,
      java.time.Instant updated) {
    java.util.Map<String, Object> v = new java.util.HashMap<>();
    v.put("scorecard_id", scorecardId);
    v.put("criterion_id", criterion);
    v.put("numeric_value", value);
    v.put("not_applicable", notApplicable);
    v.put("ai_scored", aiScored);
    v.put("comment", comment);
    v.put("update_time", updated);
    return ClickHouseMapping.scoreOwnValues(v);
  }

  private static final Instant CREATED = Instant.parse("2026-02-01T08:00:00.999999Z");
  private static final Instant UPDATED = Instant.parse("2026-02-03T09:30:15.000001Z");

  /** A scorecard row from the values PostgreSQL gives for the declared columns. */
  private static Row scorecard(
      int isProcess, String conversationId, Double score, Instant submitted) {
    return ClickHouseMapping.row(
        ClickHouseTable.SCORECARDS,
        "cust",
        "prof",
        "sc-1",
        "tpl",
        3,
        isProcess,
        conversationId,
        null,
        "creator",
        null,
        score,
        submitted,
        CREATED,
        UPDATED);
  }

  @Test
  void mapsAScorecardColumnByColumn() {
    Row row = (scorecard(1, null, 87.5, Instant.parse("2026-02-02T00:00:01.5Z")));
    assertThat(row.getSchema()).isEqualTo(ClickHouseTable.SCORECARDS.beamSchema());
    assertThat(row.getString("customer_id")).isEqualTo("cust");
    assertThat(row.getString("scorecard_id")).isEqualTo("sc-1");
    assertThat(row.getInt32("template_revision")).isEqualTo(3);
    assertThat(row.getInt16("is_process_scorecard")).isEqualTo((short) 1);
    assertThat(row.getString("conversation_id")).as("text NULL becomes ''").isEmpty();
    assertThat(row.getString("agent_user_id")).isEmpty();
    assertThat(row.getString("submitter_user_id")).isEmpty();
    assertThat(row.getDouble("score")).isEqualTo(87.5);
    assertThat(row.getDateTime("submit_time").getMillis())
        .isEqualTo(Instant.parse("2026-02-02T00:00:01Z").toEpochMilli());
    assertThat(row.getDateTime("create_time").getMillis())
        .as("truncated, not rounded")
        .isEqualTo(Instant.parse("2026-02-01T08:00:00Z").toEpochMilli());
    assertThat(row.getDateTime("update_time").getMillis())
        .isEqualTo(Instant.parse("2026-02-03T09:30:15Z").toEpochMilli());
  }

  @Test
  void keepsNullsWhereClickHouseIsNullable() {
    Row row = (scorecard(1, null, null, null));
    assertThat(row.getDouble("score")).isNull();
    assertThat(row.getDateTime("submit_time")).isNull();
  }

  @Test
  void aBooleanOrANumberBecomesAUInt8() {
    Object[] values = {"cust", "prof", "conv-1", null, 7, null, CREATED, null, CREATED, UPDATED};
    assertThat(ClickHouseMapping.row(ClickHouseTable.CONVERSATIONS, values).getInt16("channel"))
        .isEqualTo((short) 7);
    values[4] = Boolean.TRUE;
    assertThat(ClickHouseMapping.row(ClickHouseTable.CONVERSATIONS, values).getInt16("channel"))
        .isEqualTo((short) 1);
  }

  @Test
  void refusesANullWhereClickHouseIsNotNullableAndAMissingColumn() {
    assertThatThrownBy(
            () ->
                ClickHouseMapping.row(
                    ClickHouseTable.CONVERSATIONS,
                    "cust",
                    "prof",
                    "conv-1",
                    null,
                    7,
                    null,
                    null,
                    null,
                    CREATED,
                    UPDATED))
        .hasMessageContaining("start_time");
    assertThatThrownBy(() -> ClickHouseMapping.row(ClickHouseTable.CONVERSATIONS, "cust"))
        .hasMessageContaining("10 columns");
  }

  @Test
  void theDeclarationStatesIsProcessFromTheTemplateRevisionType() {
    assertThat(ClickHouseTable.SCORECARDS.column("is_process_scorecard").postgres())
        .isEqualTo("CASE WHEN r.type = 2 THEN 1 ELSE 0 END")
        .isEqualTo(ClickHouseTable.SCORES.column("is_process_scorecard").postgres());
  }

  @Test
  void mapsAScoreWithItsScorecardColumns() {
    Row sc = (scorecard(1, null, 1.0, null));
    Row row =
        ClickHouseMapping.score(sc, ownScore("sc-1", "crit\t1", null, true, false, null, UPDATED));
    assertThat(row.getSchema()).isEqualTo(ClickHouseTable.SCORES.beamSchema());
    assertThat(row.getString("criterion_id")).isEqualTo("crit\t1");
    assertThat(row.getDouble("numeric_value")).isNull();
    assertThat(row.getInt16("not_applicable")).isEqualTo((short) 1);
    assertThat(row.getInt16("ai_scored")).isEqualTo((short) 0);
    assertThat(row.getString("comment")).isEmpty();
    assertThat(row.getInt16("is_process_scorecard")).isEqualTo((short) 1);
    assertThat(row.getDateTime("scorecard_create_time")).isEqualTo(sc.getDateTime("create_time"));
    assertThat(row.getDateTime("update_time").getMillis())
        .isEqualTo(Instant.parse("2026-02-03T09:30:15Z").toEpochMilli());
  }

  /**
   * Beam's check, and an encode/decode with the row coder as a runner that serializes (Flink) does.
   */
  private static void assertTyped(Row row) {
    assertThat(Row.withSchema(row.getSchema()).addValues(row.getValues()).build()).isEqualTo(row);
    org.apache.beam.sdk.coders.RowCoder coder =
        org.apache.beam.sdk.coders.RowCoder.of(row.getSchema());
    try {
      assertThat(
              org.apache.beam.sdk.util.CoderUtils.decodeFromByteArray(
                  coder, org.apache.beam.sdk.util.CoderUtils.encodeToByteArray(coder, row)))
          .isEqualTo(row);
    } catch (org.apache.beam.sdk.coders.CoderException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * The mapping skips Beam's per-row type check (attachValues); here every kind of row passes it,
   * with and without nulls.
   */
  @Test
  void everyMappedRowPassesBeamsTypeCheck() {
    for (Row sc :
        new Row[] {
          (scorecard(1, null, 87.5, Instant.parse("2026-02-02T00:00:01.5Z"))),
          (scorecard(0, "conv-1", null, null))
        }) {
      assertTyped(sc);
      for (Row score :
          new Row[] {
            ClickHouseMapping.score(sc, ownScore("sc-1", "c", null, true, false, null, UPDATED)),
            ClickHouseMapping.score(sc, ownScore("sc-1", "c", 2.5, false, true, "x", UPDATED))
          }) {
        assertTyped(score);
      }
    }
    for (Instant ended : new Instant[] {null, UPDATED}) {
      Row conversation =
          ClickHouseMapping.row(
              ClickHouseTable.CONVERSATIONS,
              "cust",
              "prof",
              "conv-1",
              null,
              2,
              null,
              CREATED,
              ended,
              CREATED,
              UPDATED);
      assertTyped(conversation);
    }
  }

  @Test
  void refusesToJoinAScoreToAnotherScorecard() {
    Row sc = (scorecard(1, null, 1.0, null));
    assertThatThrownBy(
            () ->
                ClickHouseMapping.score(sc, ownScore("sc-2", "c", 1.0, false, false, "x", UPDATED)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void secondsTruncateTowardsThePastBefore1970Too() {
    assertThat(ClickHouseMapping.seconds(Instant.parse("1969-12-31T23:59:59.5Z")).getMillis())
        .isEqualTo(-1000L);
    assertThat(ClickHouseMapping.seconds(Instant.parse("2026-01-01T00:00:00.999999Z")).getMillis())
        .isEqualTo(Instant.parse("2026-01-01T00:00:00Z").toEpochMilli());
  }
}
