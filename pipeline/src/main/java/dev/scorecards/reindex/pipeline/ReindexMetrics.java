package dev.scorecards.reindex.pipeline;

import dev.scorecards.reindex.accounting.WriteAccounting;
import dev.scorecards.reindex.model.ClickHouseTable;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;

/** The counters every run keeps; the launcher reads them back by these names. */
public final class ReindexMetrics {
  public static final String NAMESPACE = "reindex";
  public static final String CONVERSATIONS_READ = readCounterOf(ClickHouseTable.CONVERSATIONS);
  public static final String CONVERSATIONS_WRITTEN =
      writtenCounterOf(ClickHouseTable.CONVERSATIONS);
  public static final String SCORECARDS_READ = readCounterOf(ClickHouseTable.SCORECARDS);
  public static final String SCORES_READ = readCounterOf(ClickHouseTable.SCORES);
  public static final String BATCHES_JOINED = "batchesJoined";
  public static final String SCORECARDS_WRITTEN = writtenCounterOf(ClickHouseTable.SCORECARDS);
  public static final String SCORES_WRITTEN = writtenCounterOf(ClickHouseTable.SCORES);

  /**
   * The sum (mod 2^64) of {@link WriteAccounting#scoreDigest} over the score rows handed to the
   * writer.
   */
  public static final String SCORES_WRITTEN_DIGEST = "scoresWrittenDigest";

  public static final String ORPHANS_FOUND = "orphanScorecardsFound";
  public static final String MUTATIONS = "mutationsSubmitted";

  private ReindexMetrics() {}

  public static Counter counter(String name) {
    return Metrics.counter(NAMESPACE, name);
  }

  /** The counter of rows of a table read from PostgreSQL. */
  public static String readCounterOf(ClickHouseTable table) {
    return table.tableName() + "Read";
  }

  /** The counter of rows handed to the writer of a table. */
  public static String writtenCounterOf(ClickHouseTable table) {
    return table.tableName() + "Written";
  }

  /** The counter of a table's rows deleted from ClickHouse by a clean-up. */
  public static String deletedCounterOf(ClickHouseTable table) {
    return table.tableName() + "RowsDeleted";
  }
}
