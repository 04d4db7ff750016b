package dev.scorecards.reindex.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scorecards.reindex.model.ClickHouseTable;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SQL the verification sends to each side, built from the table declarations. */
class VerifiedTableTest {
  private static final List<VerifiedTable> ALL =
      List.of(
          VerifiedTable.PROCESS_SCORECARDS,
          VerifiedTable.PROCESS_SCORES,
          VerifiedTable.CONVERSATIONS,
          VerifiedTable.CONVERSATION_SCORECARDS,
          VerifiedTable.CONVERSATION_SCORES);

  @Test
  void bothSidesCanonicalizeEveryColumnOfTheTableInTheSameOrder() {
    for (VerifiedTable t : ALL) {
      int columns = t.table().columns().size();
      assertThat(t.postgresCanonical()).as(t.name()).hasSize(columns);
      assertThat(t.clickHouseCanonical()).as(t.name()).hasSize(columns);
      assertThat(t.columnNames())
          .isEqualTo(t.table().columns().stream().map(ClickHouseTable.Column::name).toList());
    }
  }

  @Test
  void aTextColumnIsLengthPrefixedOnBothSidesAndNullBecomesEmptyInPostgres() {
    int i = VerifiedTable.PROCESS_SCORECARDS.columnNames().indexOf("submitter_user_id");
    assertThat(VerifiedTable.PROCESS_SCORECARDS.postgresCanonical().get(i))
        .isEqualTo(
            "(octet_length(coalesce(s.submitter_user_id, ''))::text || ':' || "
                + "coalesce(s.submitter_user_id, ''))");
    assertThat(VerifiedTable.PROCESS_SCORECARDS.clickHouseCanonical().get(i))
        .isEqualTo("concat(toString(length(submitter_user_id)), ':', submitter_user_id)");
  }

  @Test
  void nullsAndFloatsAndTimesHaveFormsThatCannotCollide() {
    int score = VerifiedTable.PROCESS_SCORECARDS.columnNames().indexOf("score");
    assertThat(VerifiedTable.PROCESS_SCORECARDS.postgresCanonical().get(score))
        .startsWith("CASE WHEN s.score IS NULL THEN 'N'")
        .contains("float8send(s.score)");
    assertThat(VerifiedTable.PROCESS_SCORECARDS.clickHouseCanonical().get(score))
        .contains("reinterpretAsInt64(reinterpretAsString(assumeNotNull(score)))");
    int submitted = VerifiedTable.PROCESS_SCORECARDS.columnNames().indexOf("submit_time");
    assertThat(VerifiedTable.PROCESS_SCORECARDS.postgresCanonical().get(submitted))
        .isEqualTo(
            "CASE WHEN s.submitted_at IS NULL THEN 'N' ELSE "
                + "floor(date_part('epoch', s.submitted_at))::bigint::text END");
    assertThat(VerifiedTable.PROCESS_SCORECARDS.clickHouseCanonical().get(submitted))
        .isEqualTo("if(isNull(submit_time), 'N', toString(toUInt32(assumeNotNull(submit_time))))");
    assertThatThrownBy(() -> CanonicalSql.postgres("Decimal(9, 2)", "x"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rowsAreBucketedAndKeyedByTheirScorecardOrConversation() {
    assertThat(VerifiedTable.PROCESS_SCORES.postgresBucketId()).isEqualTo("h.scorecard_id");
    assertThat(VerifiedTable.PROCESS_SCORES.postgresKey())
        .containsExactly("h.scorecard_id", "h.criterion_id");
    assertThat(VerifiedTable.CONVERSATIONS.bucketColumn()).isEqualTo("conversation_id");
    assertThat(VerifiedTable.PROCESS_SCORECARDS.postgresFrom())
        .contains("r.type = 2")
        .endsWith("s.updated_at >= ? AND s.updated_at < ?");
    assertThat(CanonicalSql.postgresBucket("s.scorecard_id", 2))
        .isEqualTo("left(reverse(s.scorecard_id), 2)");
    assertThat(CanonicalSql.clickHouseBucket("scorecard_id", 2))
        .isEqualTo("substringUTF8(reverseUTF8(scorecard_id), 1, 2)");
  }

  @Test
  void aRowHashIsTheFirst64BitsOfTheMd5OfItsValuesJoinedByBars() {
    assertThat(CanonicalSql.postgresRowHash(List.of("a", "b")))
        .isEqualTo("('x' || substr(md5(a || '|' || b), 1, 16))::bit(64)::bigint");
    assertThat(CanonicalSql.clickHouseRowHash(List.of("a", "b")))
        .isEqualTo("reinterpretAsUInt64(reverse(substring(MD5(concat(a, '|', b)), 1, 8)))");
  }
}
