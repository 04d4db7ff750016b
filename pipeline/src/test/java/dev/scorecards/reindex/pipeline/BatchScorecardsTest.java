package dev.scorecards.reindex.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.model.ClickHouseMapping;
import dev.scorecards.reindex.model.ClickHouseTable;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.junit.jupiter.api.Test;

class BatchScorecardsTest {
  @Test
  void batchesHoldAtMostTheBatchSizeAndEveryScorecardOnce() {
    TestPipeline pipeline = TestPipeline.create().enableAbandonedNodeEnforcement(false);
    // Like a range read: one input element (a range) whose rows all come out in one bundle.
    PCollection<Iterable<Row>> batches =
        pipeline
            .apply(Create.of(1_234))
            .apply(ParDo.of(new ReadRange()))
            .setRowSchema(ClickHouseTable.SCORECARDS.beamSchema())
            .apply(new BatchScorecards(50));
    PAssert.that(batches)
        .satisfies(
            all -> {
              Set<String> seen = new HashSet<>();
              int count = 0;
              int batchCount = 0;
              for (Iterable<Row> batch : all) {
                int size = 0;
                for (Row r : batch) {
                  seen.add(r.getString("scorecard_id"));
                  size++;
                }
                assertThat(size).isBetween(1, 50);
                count += size;
                batchCount++;
              }
              assertThat(count).isEqualTo(1_234);
              assertThat(seen).hasSize(1_234);
              // Full batches everywhere except one short batch at the end of the bundle.
              assertThat(batchCount).isEqualTo(25);
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  static class ReadRange extends DoFn<Integer, Row> {
    @ProcessElement
    public void read(@Element Integer n, OutputReceiver<Row> out) {
      Instant t = Instant.parse("2026-01-01T00:00:00Z");
      for (int i = 0; i < n; i++) {
        out.output(
            ClickHouseMapping.row(
                ClickHouseTable.SCORECARDS,
                "c",
                "p",
                "sc-" + i,
                "t",
                1,
                1,
                null,
                null,
                "u",
                null,
                null,
                null,
                t,
                t));
      }
    }
  }

  @Test
  void aBatchSizeBelowOneIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new BatchScorecards(0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theShardOfAnIdIsStable() {
    assertThat(BatchScorecards.shardOf("abc", 7))
        .isEqualTo(BatchScorecards.shardOf("abc", 7))
        .isBetween(0, 6);
  }
}
