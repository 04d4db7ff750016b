package dev.scorecards.reindex.pipeline;

import java.util.List;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Reads the window's process scorecards from PostgreSQL as ClickHouse {@code scorecards}
 * rows: a JdbcIO partitioned range read over {@code updated_at}.
 *
 * <p>{@code JdbcIO.readWithPartitions} is not used as it is: on a DateTime column it builds
 * millisecond ranges and extends the last one by a millisecond, so the window's top is read
 * and a microsecond time near a bound can land on the wrong side. Here the ranges are
 * planned in microseconds ({@link ReindexWindow#split}), contiguous and half-open, and bound
 * as {@code timestamptz} parameters of an indexable {@code updated_at >= ? AND updated_at < ?}:
 * every row of the window is read exactly once whatever the number of partitions.
 */
public class ReadProcessScorecards extends PTransform<PBegin, PCollection<Row>> {
  private final List<ReindexWindow.TimeRange> ranges;
  private final PostgresSettings postgres;
  private final int fetchSize;

  public ReadProcessScorecards(List<ReindexWindow.TimeRange> ranges, PostgresSettings postgres, int fetchSize) {
    this.ranges = List.copyOf(ranges);
    this.postgres = postgres;
    this.fetchSize = fetchSize;
  }

  @Override
  public PCollection<Row> expand(PBegin begin) {
    return begin
        .apply("PlannedRanges", Create.of(ranges).withCoder(SerializableCoder.of(ReindexWindow.TimeRange.class)))
        .apply("SpreadRanges", Reshuffle.viaRandomKey())
        .apply(
            "QueryRanges",
            JdbcIO.<ReindexWindow.TimeRange, Row>readAll()
                .withDataSourceConfiguration(postgres.dataSourceConfiguration())
                .withQuery(PostgresQueries.READ_PROCESS_SCORECARDS)
                .withParameterSetter(
                    (range, statement) -> {
                      statement.setObject(1, range.start());
                      statement.setObject(2, range.end());
                    })
                .withRowMapper(new ScorecardRowMapper())
                .withFetchSize(fetchSize)
                // The batching step shuffles anyway; a second reshuffle of every row would only cost.
                .withOutputParallelization(false)
                .withCoder(SchemaCoder.of(ClickHouseTable.SCORECARDS.beamSchema())));
  }

  /** Maps one result row and counts it as read. */
  static class ScorecardRowMapper implements JdbcIO.RowMapper<Row> {
    private final Counter read = ReindexMetrics.counter(ReindexMetrics.SCORECARDS_READ);

    @Override
    public Row mapRow(java.sql.ResultSet resultSet) throws Exception {
      read.inc();
      return ClickHouseMapping.scorecard(PostgresQueries.scorecard(resultSet));
    }
  }
}
