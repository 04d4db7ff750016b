package dev.scorecards.reindex.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.accounting.WriteAccounting;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.PerTable;
import org.junit.jupiter.api.Test;

class ReindexJobTest {
  private static ReindexJob.Summary summary(
      long read,
      long written,
      long pg,
      long ch,
      long scoresRead,
      long scoresWritten,
      long scoresCh) {
    return summary(
        new long[] {3, 3, 3, 3},
        new long[] {read, written, pg, ch},
        new long[] {scoresRead, scoresWritten, scoresRead, scoresCh});
  }

  /** Each table's {read, written, in PostgreSQL now, in ClickHouse}. */
  private static ReindexJob.Summary summary(
      long[] conversations, long[] scorecards, long[] scores) {
    java.util.Map<ClickHouseTable, long[]> c =
        java.util.Map.of(
            ClickHouseTable.CONVERSATIONS, conversations,
            ClickHouseTable.SCORECARDS, scorecards,
            ClickHouseTable.SCORES, scores);
    return new ReindexJob.Summary(
        scorecards[0],
        1,
        PerTable.of(t -> c.get(t)[0]),
        PerTable.of(t -> c.get(t)[1]),
        PerTable.ZERO,
        0,
        0,
        new WriteAccounting.Received(PerTable.of(t -> c.get(t)[2]), PerTable.of(t -> c.get(t)[3])),
        1.0,
        0.8,
        0.2);
  }

  @Test
  void agreeingCountsPass() {
    assertThat(ReindexJob.disagreement(summary(10, 10, 10, 10, 100, 100, 100))).isNull();
  }

  @Test
  void everyKindOfDisagreementIsNamed() {
    assertThat(ReindexJob.disagreement(summary(10, 9, 10, 9, 100, 100, 100)))
        .contains("scorecards written (9) differ from scorecards read (10)");
    assertThat(ReindexJob.disagreement(summary(10, 10, 10, 10, 100, 99, 99)))
        .contains("scores written (99) differ");
    assertThat(ReindexJob.disagreement(summary(10, 10, 11, 10, 100, 100, 100)))
        .contains("PostgreSQL changed during the run");
    // The silent failure this check exists for: the writer reports success and nothing arrives.
    assertThat(ReindexJob.disagreement(summary(10, 10, 10, 0, 100, 100, 100)))
        .contains("ClickHouse holds 0 of the 10 scorecards written");
    assertThat(ReindexJob.disagreement(summary(10, 10, 10, 10, 100, 100, 0)))
        .contains("ClickHouse holds 0 of the 100 scores written");
    ReindexJob.Summary s = summary(10, 10, 10, 10, 100, 100, 100);
    ReindexJob.Summary lostConversation =
        summary(
            new long[] {3, 3, 3, 2}, new long[] {10, 10, 10, 10}, new long[] {100, 100, 100, 100});
    ReindexJob.Summary scoresNotCounted =
        summary(
            new long[] {3, 3, 3, 3},
            new long[] {10, 10, 10, 10},
            new long[] {100, 100, WriteAccounting.NOT_COUNTED, 100});
    assertThat(ReindexJob.disagreement(scoresNotCounted)).isNull();
    assertThat(ReindexJob.disagreement(s)).isNull();
    assertThat(ReindexJob.disagreement(lostConversation))
        .contains("ClickHouse holds 2 of the 3 conversations written");
  }

  @Test
  void aWindowIsCutIntoEqualChunksOfAtMostTheChunkSize() {
    // 200,000 scorecards in chunks of 100,000: two of 100,000 (no quarter-sized tail any more).
    assertThat(ReindexJob.chunkFractions(200_000, 100_000)).containsExactly(0.5);
    assertThat(ReindexJob.chunkFractions(200_001, 100_000)).containsExactly(1.0 / 3, 2.0 / 3);
    assertThat(ReindexJob.chunkFractions(100_000, 100_000)).isEmpty();
    assertThat(ReindexJob.chunkFractions(30, 10)).containsExactly(1.0 / 3, 2.0 / 3);
    assertThat(ReindexJob.chunkFractions(0, 100_000)).isEmpty();
  }
}
