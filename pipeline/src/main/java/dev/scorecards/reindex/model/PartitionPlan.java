package dev.scorecards.reindex.model;

import dev.scorecards.reindex.run.ReindexJob;
import java.io.Serializable;
import java.util.List;

/**
 * How a chunk's read is split: the counted rows, and the time ranges that the partitioned read
 * queries in parallel ({@link ReindexJob#partitionPlan} cuts them at quantiles).
 */
public record PartitionPlan(long counted, List<ReindexWindow.TimeRange> ranges)
    implements Serializable {

  /**
   * How many partitions for {@code counted} rows: one per {@code rowsPerPartition}, at least one
   * and at most {@code maxPartitions}: enough ranges to keep every reader busy on a big window, and
   * not hundreds of empty queries on a small one.
   */
  public static int partitions(long counted, long rowsPerPartition, int maxPartitions) {
    if (rowsPerPartition < 1 || maxPartitions < 1) {
      throw new IllegalArgumentException("rows per partition and partitions must be at least 1");
    }
    long wanted = (counted + rowsPerPartition - 1) / rowsPerPartition;
    return (int) Math.max(1, Math.min(maxPartitions, wanted));
  }
}
