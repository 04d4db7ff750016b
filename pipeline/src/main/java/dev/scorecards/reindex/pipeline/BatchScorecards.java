package dev.scorecards.reindex.pipeline;

import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.transforms.GroupIntoBatches;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Groups scorecards into batches of at most {@code batchSize}: the unit of one PostgreSQL
 * scores query. Rows are spread over a fixed number of shard keys so that batches form in
 * parallel; each shard leaves at most one short batch at the end.
 */
public class BatchScorecards extends PTransform<PCollection<Row>, PCollection<Iterable<Row>>> {
  static final int SHARDS = 32;
  private final int batchSize;

  public BatchScorecards(int batchSize) {
    this.batchSize = batchSize;
  }

  /** The shard of a scorecard: stable, so a rerun batches alike. */
  static int shardOf(String scorecardId) {
    return Math.floorMod(scorecardId.hashCode(), SHARDS);
  }

  @Override
  public PCollection<Iterable<Row>> expand(PCollection<Row> scorecards) {
    return scorecards
        .apply("KeyByShard", WithKeys.of((Row r) -> shardOf(r.getString("scorecard_id"))).withKeyType(TypeDescriptors.integers()))
        .setCoder(KvCoder.of(VarIntCoder.of(), SchemaCoder.of(ClickHouseTable.SCORECARDS.beamSchema())))
        .apply("GroupIntoBatches", GroupIntoBatches.ofSize(batchSize))
        .apply("DropShardKey", Values.create());
  }
}
