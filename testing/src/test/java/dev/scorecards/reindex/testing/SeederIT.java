package dev.scorecards.reindex.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.model.ReindexWindow;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SeederIT {
  private static final ReindexWindow WINDOW =
      ReindexWindow.of(
          Instant.parse("2026-05-01T00:00:00Z"), Instant.parse("2026-05-08T00:00:00Z"));

  @BeforeEach
  void prepare() throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
  }

  private static String fingerprint(Connection c) throws Exception {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT md5(string_agg(s::text, '|' ORDER BY s.scorecard_id)) || md5((SELECT string_agg(h::text, '|' ORDER BY h.scorecard_id, h.criterion_id)"
                    + " FROM director.historic_scorecard_scores h)) FROM director.scorecards s")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static long one(Connection c, String sql) throws Exception {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void theSameSeedMakesTheSameDataAndEveryCaseTheReindexMustHandle() throws Exception {
    try (Connection c = TestDatabases.postgres().connect()) {
      Seeder.Result first = Seeder.seed(c, new Seeder.Spec(2_000, 10, WINDOW, 5), true);
      String fingerprint = fingerprint(c);
      Seeder.seed(c, new Seeder.Spec(2_000, 10, WINDOW, 5), true);
      assertThat(fingerprint(c)).isEqualTo(fingerprint);
      Seeder.seed(c, new Seeder.Spec(2_000, 10, WINDOW, 6), true);
      assertThat(fingerprint(c)).isNotEqualTo(fingerprint);

      assertThat(first.processScorecards()).isEqualTo(2_000);
      assertThat(first.conversationScorecards()).isEqualTo(400);
      assertThat((double) first.scores() / 2_400).isBetween(9.0, 11.0);
      String process =
          " FROM director.scorecards s JOIN director.scorecard_template_revisions r"
              + " ON r.template_id = s.template_id AND r.revision = s.template_revision WHERE r.type = 2";
      assertThat(one(c, "SELECT count(*)" + process + " AND s.conversation_id IS NULL"))
          .isEqualTo(2_000);
      assertThat(
              one(
                  c,
                  "SELECT count(*) FROM director.scorecards WHERE updated_at < '2026-05-01T00:00:00Z' OR updated_at >= '2026-05-08T00:00:00Z'"))
          .isZero();
      // Uneven in time: the first day holds far more than the last.
      assertThat(
              one(
                  c,
                  "SELECT count(*) FROM director.scorecards WHERE updated_at < '2026-05-02T00:00:00Z'"))
          .isGreaterThan(
              3
                  * one(
                      c,
                      "SELECT count(*) FROM director.scorecards WHERE updated_at >= '2026-05-07T00:00:00Z'"));
      assertThat(
              one(
                  c,
                  "SELECT count(*) FROM director.scorecards s WHERE NOT EXISTS (SELECT 1 FROM director.historic_scorecard_scores h WHERE h.scorecard_id = s.scorecard_id)"))
          .isPositive();
      assertThat(one(c, "SELECT count(*) FROM director.scorecards WHERE score IS NULL"))
          .isPositive();
      assertThat(
              one(
                  c,
                  "SELECT count(*) FROM director.scorecards WHERE submitted_at IS NULL AND submitter_user_id IS NULL"))
          .isPositive();
      assertThat(
              one(
                  c,
                  "SELECT count(*) FROM director.historic_scorecard_scores WHERE numeric_value IS NULL"))
          .isPositive();
      assertThat(
              one(
                  c,
                  "SELECT count(*) FROM director.historic_scorecard_scores WHERE comment LIKE '%' || chr(9) || '%' AND comment LIKE '%' || chr(10) || '%'"))
          .isPositive();
      assertThat(
              one(
                  c,
                  "SELECT count(*) FROM director.historic_scorecard_scores WHERE comment LIKE '%😀%' AND comment LIKE '%東京%'"))
          .isPositive();
      assertThat(
              one(
                  c,
                  "SELECT count(*) FROM director.historic_scorecard_scores WHERE comment LIKE '%\\\\%'"))
          .isPositive();
      assertThat(
              one(
                  c,
                  "SELECT count(*) FROM director.historic_scorecard_scores WHERE comment LIKE '%\"%' AND comment LIKE '%''%'"))
          .isPositive();
      assertThat(
              one(
                  c,
                  "SELECT count(DISTINCT r.type) FROM director.scorecards s JOIN director.scorecard_template_revisions r"
                      + " ON r.template_id = s.template_id AND r.revision = s.template_revision WHERE s.template_id LIKE '%mixed'"))
          .isEqualTo(2);
    }
  }
}
