package dev.scorecards.reindex.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scorecards.reindex.model.ReindexWindow;
import org.junit.jupiter.api.Test;

class PostgresQueriesTest {
  @Test
  void windowLiteralsKeepMicrosecondsAndUtc() {
    ReindexWindow w =
        ReindexWindow.parse("2026-03-01T00:00:00.000001Z", "2026-03-02T13:07:22.44376Z");
    assertThat(PostgresQueries.withWindowLiterals("SELECT 1 WHERE t >= ? AND t < ?", w))
        .isEqualTo(
            "SELECT 1 WHERE t >= '2026-03-01 00:00:00.000001+00'::timestamptz AND t < '2026-03-02 13:07:22.443760+00'::timestamptz");
  }

  @Test
  void everyAccountingKeyQueryHasExactlyTheTwoWindowParameters() {
    ReindexWindow w = ReindexWindow.parse("2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z");
    for (String sql :
        new String[] {
          PostgresQueries.PROCESS_SCORECARD_KEYS,
          PostgresQueries.PROCESS_SCORE_KEYS,
          PostgresQueries.CONVERSATION_SCORECARD_KEYS,
          PostgresQueries.CONVERSATION_SCORE_KEYS,
          PostgresQueries.CONVERSATION_KEYS
        }) {
      assertThat(PostgresQueries.withWindowLiterals(sql, w))
          .doesNotContain("?")
          .contains("'2026-03-08 00:00:00.000000+00'::timestamptz");
    }
    assertThatThrownBy(() -> PostgresQueries.withWindowLiterals("SELECT ?", w))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
