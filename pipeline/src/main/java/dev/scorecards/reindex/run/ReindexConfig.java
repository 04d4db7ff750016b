package dev.scorecards.reindex.run;

import dev.scorecards.reindex.clickhouse.ClickHouseDeletes;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.model.Mode;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.postgres.PostgresSettings;
import java.io.Serializable;

/**
 * Everything a run needs, validated once by the launcher and immutable from then on. Change a value
 * with a {@code withX} method, which returns a new config.
 */
public record ReindexConfig(
    Mode mode,
    ReindexWindow window,
    int batchSize,
    boolean cleanUpBeforeWrite,
    PostgresSettings postgres,
    ClickHouseSettings clickHouse,
    long rowsPerPartition,
    int maxPartitions,
    int insertBlockSize,
    int deleteBatchSize,
    int fetchSize)
    implements Serializable {

  public static final int DEFAULT_BATCH_SIZE = 50;
  public static final int MAX_BATCH_SIZE = 10_000;

  public ReindexConfig {
    if (mode == null || window == null || postgres == null || clickHouse == null) {
      throw new IllegalArgumentException(
          "a mode, a window, PostgreSQL and ClickHouse are required");
    }
    if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new IllegalArgumentException(
          "the batch size must be between 1 and " + MAX_BATCH_SIZE + ", not " + batchSize);
    }
    if (rowsPerPartition < 1
        || maxPartitions < 1
        || insertBlockSize < 1
        || deleteBatchSize < 1
        || fetchSize < 1) {
      throw new IllegalArgumentException(
          "partition, insert, delete and fetch sizes must be at least 1");
    }
  }

  /** The defaults for everything but where the data is and which window. */
  public static ReindexConfig of(
      Mode mode, ReindexWindow window, PostgresSettings postgres, ClickHouseSettings clickHouse) {
    return new ReindexConfig(
        mode,
        window,
        DEFAULT_BATCH_SIZE,
        false,
        postgres,
        clickHouse,
        50_000,
        64,
        100_000,
        ClickHouseDeletes.MAX_IDS_PER_MUTATION,
        10_000);
  }

  public ReindexConfig withClickHouse(ClickHouseSettings c) {
    return new ReindexConfig(
        mode,
        window,
        batchSize,
        cleanUpBeforeWrite,
        postgres,
        c,
        rowsPerPartition,
        maxPartitions,
        insertBlockSize,
        deleteBatchSize,
        fetchSize);
  }

  /** This config with the target's topology known (asks the server when it is not). */
  public ReindexConfig resolved() {
    return clickHouse.topology().known() ? this : withClickHouse(clickHouse.resolved());
  }

  public ReindexConfig withMode(Mode m) {
    return new ReindexConfig(
        m,
        window,
        batchSize,
        cleanUpBeforeWrite,
        postgres,
        clickHouse,
        rowsPerPartition,
        maxPartitions,
        insertBlockSize,
        deleteBatchSize,
        fetchSize);
  }

  public ReindexConfig withWindow(ReindexWindow w) {
    return new ReindexConfig(
        mode,
        w,
        batchSize,
        cleanUpBeforeWrite,
        postgres,
        clickHouse,
        rowsPerPartition,
        maxPartitions,
        insertBlockSize,
        deleteBatchSize,
        fetchSize);
  }

  public ReindexConfig withBatchSize(int n) {
    return new ReindexConfig(
        mode,
        window,
        n,
        cleanUpBeforeWrite,
        postgres,
        clickHouse,
        rowsPerPartition,
        maxPartitions,
        insertBlockSize,
        deleteBatchSize,
        fetchSize);
  }

  public ReindexConfig withCleanUpBeforeWrite(boolean on) {
    return new ReindexConfig(
        mode,
        window,
        batchSize,
        on,
        postgres,
        clickHouse,
        rowsPerPartition,
        maxPartitions,
        insertBlockSize,
        deleteBatchSize,
        fetchSize);
  }

  public ReindexConfig withPartitioning(long rowsPerPartition, int maxPartitions) {
    return new ReindexConfig(
        mode,
        window,
        batchSize,
        cleanUpBeforeWrite,
        postgres,
        clickHouse,
        rowsPerPartition,
        maxPartitions,
        insertBlockSize,
        deleteBatchSize,
        fetchSize);
  }

  public ReindexConfig withInsertBlockSize(int n) {
    return new ReindexConfig(
        mode,
        window,
        batchSize,
        cleanUpBeforeWrite,
        postgres,
        clickHouse,
        rowsPerPartition,
        maxPartitions,
        n,
        deleteBatchSize,
        fetchSize);
  }

  @Override
  public String toString() {
    return "ReindexConfig{mode="
        + mode
        + ", window="
        + window
        + ", batchSize="
        + batchSize
        + ", cleanUp="
        + cleanUpBeforeWrite
        + ", "
        + postgres
        + ", "
        + clickHouse
        + "}";
  }
}
