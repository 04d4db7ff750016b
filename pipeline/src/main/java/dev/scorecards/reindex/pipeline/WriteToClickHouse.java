package dev.scorecards.reindex.pipeline;

import dev.scorecards.reindex.accounting.WriteAccounting;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.model.ClickHouseTable;
import org.apache.beam.sdk.io.clickhouse.ClickHouseIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.Row;

/**
 * Writes rows of one target table through Beam's ClickHouseIO, counting every row handed to it. The
 * table schema is given from {@link ClickHouseTable}, so no DESCRIBE is sent; the table is
 * qualified with its database, which ClickHouseIO would otherwise ignore. ClickHouseIO sends one
 * INSERT per bundle (at most {@code insertBlockSize} rows): how big bundles are is the runner's and
 * the batching's business ({@link BatchScorecards}). The count is checked after the run against
 * what ClickHouse holds ({@link WriteAccounting}).
 */
public class WriteToClickHouse extends PTransform<PCollection<Row>, PDone> {
  private final ClickHouseTable table;
  private final ClickHouseSettings clickHouse;
  private final String serverVersion;
  private final int insertBlockSize;
  private final boolean deduplicate;
  private final boolean countedUpstream;

  /**
   * With {@code countedUpstream}, the step that hands the rows over counts them in its written
   * counter (per batch, {@link JoinScores}) and no step is added before the writer: the
   * DirectRunner extracts a step's metrics and builds a windowed value after every element of every
   * step. That upstream step also releases the job's holds ({@link JobClassLoader}) where the
   * writer runs: on Flink they are chained in one task.
   */
  public WriteToClickHouse(
      ClickHouseTable table,
      ClickHouseSettings clickHouse,
      String serverVersion,
      int insertBlockSize,
      boolean deduplicate,
      boolean countedUpstream) {
    this.countedUpstream = countedUpstream;
    this.deduplicate = deduplicate;
    this.table = table;
    this.clickHouse = clickHouse;
    this.serverVersion = serverVersion;
    this.insertBlockSize = insertBlockSize;
  }

  @Override
  public PDone expand(PCollection<Row> rows) {
    PCollection<Row> counted =
        countedUpstream
            ? rows
            : rows.apply("Count", ParDo.of(new CountFn(ReindexMetrics.writtenCounterOf(table))))
                .setRowSchema(table.beamSchema());
    return counted.apply(
        "ClickHouseIO",
        ClickHouseIO.<Row>write(
                clickHouse.jdbcUrlFor(serverVersion, deduplicate), clickHouse.qualified(table))
            .withTableSchema(table.clickHouseIoSchema())
            // Short retries inside the writer for a blip; longer outages are the run's attempts'
            // business.
            .withMaxRetries(3)
            .withInitialBackoff(org.joda.time.Duration.standardSeconds(2))
            .withMaxInsertBlockSize(insertBlockSize));
  }

  /**
   * Counts the rows handed to ClickHouseIO; runs where the writer runs, so it lets go of what would
   * keep a finished job in memory there ({@link JobClassLoader}).
   */
  static class CountFn extends DoFn<Row, Row> {
    private final Counter counter;

    CountFn(String counterName) {
      this.counter = ReindexMetrics.counter(counterName);
    }

    @Setup
    public void setup() {
      JobClassLoader.releaseHolds();
    }

    @Teardown
    public void teardown() {
      JobClassLoader.releaseHolds();
    }

    @ProcessElement
    public void processElement(@Element Row row, OutputReceiver<Row> out) {
      counter.inc();
      out.output(row);
    }
  }
}
