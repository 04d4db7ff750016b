package dev.scorecards.reindex.pipeline;

import dev.scorecards.reindex.model.ClickHouseTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.IterableCoder;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Groups scorecards into batches of at most {@code batchSize}: the unit of one PostgreSQL scores
 * query. Batches form inside each bundle, as the rows arrive from the range read: every batch is
 * full except at most one per bundle, which is flushed when the bundle ends.
 *
 * <p>No shuffle and no state: {@code GroupIntoBatches} needs a key and per-key state, which the
 * DirectRunner implements by grouping the whole chunk's scorecards by key in memory, with a timer
 * per key and window, and which Flink implements with a keyed shuffle serializing every scorecard.
 * Here the read, the batching, the join and the writes run one after the other on the same bundle
 * (Flink chains them). Bundles are the range read's: one or more planned partitions each, so the
 * batches cover the window once whatever the partitioning.
 */
public class BatchScorecards extends PTransform<PCollection<Row>, PCollection<Iterable<Row>>> {
  /** Shards of the id lookups that still batch by key (clean-up candidates, repair ids). */
  public static final int DEFAULT_SHARDS = 4;

  private final int batchSize;

  public BatchScorecards(int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("the batch size must be at least 1, not " + batchSize);
    }
    this.batchSize = batchSize;
  }

  /** The shard of an id: stable, so a rerun batches alike. */
  static int shardOf(String id, int shards) {
    return Math.floorMod(id.hashCode(), shards);
  }

  @Override
  public PCollection<Iterable<Row>> expand(PCollection<Row> scorecards) {
    return scorecards
        .apply("BatchInBundle", ParDo.of(new BatchFn(batchSize)))
        .setCoder(IterableCoder.of(SchemaCoder.of(ClickHouseTable.SCORECARDS.beamSchema())));
  }

  static class BatchFn extends DoFn<Row, Iterable<Row>> {
    private final int batchSize;
    // Per window, although the reindex only ever sees the global window: a batch never mixes
    // windows.
    private transient Map<BoundedWindow, List<Row>> open;

    BatchFn(int batchSize) {
      this.batchSize = batchSize;
    }

    @StartBundle
    public void startBundle() {
      open = new HashMap<>();
    }

    @ProcessElement
    public void processElement(
        @Element Row scorecard, BoundedWindow window, OutputReceiver<Iterable<Row>> out) {
      List<Row> batch = open.computeIfAbsent(window, w -> new ArrayList<>(batchSize));
      batch.add(scorecard);
      if (batch.size() == batchSize) {
        open.remove(window);
        out.output(batch);
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) {
      for (Map.Entry<BoundedWindow, List<Row>> e : open.entrySet()) {
        context.output(e.getValue(), e.getKey().maxTimestamp(), e.getKey());
      }
      open = null;
    }
  }
}
