package dev.scorecards.reindex.pipeline;

import java.io.Serializable;
import java.util.List;

/**
 * How the window's read is split: the counted rows, and the time ranges that the
 * partitioned read queries in parallel. Pure arithmetic; the count comes from PostgreSQL.
 */
public record PartitionPlan(long counted, List<ReindexWindow.TimeRange> ranges) implements Serializable {

  /**
   * One partition per {@code rowsPerPartition} counted rows, at least one and at most
   * {@code maxPartitions}: enough ranges to keep every reader busy on a big window, and
   * not hundreds of empty queries on a small one.
   */
  public static PartitionPlan plan(ReindexWindow window, long counted, long rowsPerPartition, int maxPartitions) {
    return new PartitionPlan(counted, List.copyOf(window.split(partitions(counted, rowsPerPartition, maxPartitions))));
  }

  /** How many partitions {@link #plan} makes of {@code counted} rows. */
  public static int partitions(long counted, long rowsPerPartition, int maxPartitions) {
    if (rowsPerPartition < 1 || maxPartitions < 1) {
      throw new IllegalArgumentException("rows per partition and partitions must be at least 1");
    }
    long wanted = (counted + rowsPerPartition - 1) / rowsPerPartition;
    return (int) Math.max(1, Math.min(maxPartitions, wanted));
  }
}
