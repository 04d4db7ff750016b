package dev.scorecards.reindex.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.model.ReindexWindow;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RepairTest {
  @Test
  void affectsEveryScorecardNamedByAnyDifferenceOnce() {
    ReindexWindow w =
        ReindexWindow.of(
            Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-02T00:00:00Z"));
    VerificationReport report =
        new VerificationReport(
            "process",
            w,
            List.of(
                new VerificationReport.TableReport(
                    "scorecards",
                    10,
                    10,
                    List.of(List.of("a")),
                    List.of(List.of("x")),
                    List.of(new VerificationReport.Difference(List.of("b"), List.of("score"))),
                    3),
                new VerificationReport.TableReport(
                    "scores",
                    10,
                    10,
                    List.of(List.of("c", "1")),
                    List.of(List.of("a", "2")),
                    List.of(
                        new VerificationReport.Difference(List.of("d", "3"), List.of("comment"))),
                    0)),
            1.0);
    assertThat(report.equal()).isFalse();
    assertThat(Repair.affectedScorecards(report)).containsExactly("a", "b", "c", "d", "x");
  }

  @Test
  void aCleanReportAffectsNothing() {
    ReindexWindow w =
        ReindexWindow.of(
            Instant.parse("2026-01-01T00:00:00Z"), Instant.parse("2026-01-02T00:00:00Z"));
    VerificationReport report =
        new VerificationReport(
            "process",
            w,
            List.of(
                new VerificationReport.TableReport(
                    "scorecards", 10, 10, List.of(), List.of(), List.of(), 2)),
            1.0);
    assertThat(report.equal()).isTrue();
    assertThat(Repair.affectedScorecards(report)).isEmpty();
    assertThat(report.describe()).contains("ClickHouse equals PostgreSQL");
  }
}
