package dev.scorecards.reindex.pipeline;

import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Flow;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.postgres.PostgresQueries;
import dev.scorecards.reindex.postgres.PostgresSettings;
import java.util.List;
import javax.sql.DataSource;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Reads a window's rows from PostgreSQL as ClickHouse rows of one table: a JdbcIO partitioned range
 * read over the driving {@code updated_at} (the scorecard's for process scorecards, the
 * conversation's for conversations and their scorecards).
 *
 * <p>{@code JdbcIO.readWithPartitions} is not used as it is: on a DateTime column it builds
 * millisecond ranges and extends the last one by a millisecond, so the window's top is read and a
 * microsecond time near a bound can land on the wrong side. Here the ranges are planned in
 * microseconds ({@link ReindexWindow#split}), contiguous and half-open, and bound as {@code
 * timestamptz} parameters of an indexable {@code updated_at >= ? AND updated_at < ?}: every row of
 * the window is read exactly once whatever the number of partitions.
 */
public class ReadWindowRows extends PTransform<PBegin, PCollection<Row>> {
  private final String query;
  private final List<ReindexWindow.TimeRange> ranges;
  private final PostgresSettings postgres;
  private final int fetchSize;
  private final ClickHouseTable table;
  private final String readCounter;

  private ReadWindowRows(
      String query,
      ClickHouseTable table,
      String readCounter,
      List<ReindexWindow.TimeRange> ranges,
      PostgresSettings postgres,
      int fetchSize) {
    this.query = query;
    this.table = table;
    this.readCounter = readCounter;
    this.ranges = List.copyOf(ranges);
    this.postgres = postgres;
    this.fetchSize = fetchSize;
  }

  /** The scorecards of a flow, as {@code scorecards} rows. */
  public static ReadWindowRows scorecards(
      Flow flow, List<ReindexWindow.TimeRange> ranges, PostgresSettings postgres, int fetchSize) {
    return new ReadWindowRows(
        flow.readScorecards,
        ClickHouseTable.SCORECARDS,
        ReindexMetrics.SCORECARDS_READ,
        ranges,
        postgres,
        fetchSize);
  }

  /** The conversations, as {@code conversations} rows. */
  public static ReadWindowRows conversations(
      List<ReindexWindow.TimeRange> ranges, PostgresSettings postgres, int fetchSize) {
    return new ReadWindowRows(
        PostgresQueries.READ_CONVERSATIONS,
        ClickHouseTable.CONVERSATIONS,
        ReindexMetrics.CONVERSATIONS_READ,
        ranges,
        postgres,
        fetchSize);
  }

  @Override
  public PCollection<Row> expand(PBegin begin) {
    return begin
        .apply(
            "PlannedRanges",
            Create.of(ranges).withCoder(SerializableCoder.of(ReindexWindow.TimeRange.class)))
        .apply("SpreadRanges", Reshuffle.viaRandomKey())
        .apply(
            "QueryRanges",
            JdbcIO.<ReindexWindow.TimeRange, Row>readAll()
                .withDataSourceProviderFn(new DataSourceFn(postgres))
                .withQuery(query)
                .withParameterSetter(
                    (range, statement) -> {
                      statement.setObject(1, range.start());
                      statement.setObject(2, range.end());
                    })
                .withRowMapper(new Mapper(table, readCounter))
                .withFetchSize(fetchSize)
                // The ranges were spread over the workers above; a reshuffle of every row read
                // would only cost (the batching step batches inside each bundle, no shuffle).
                .withOutputParallelization(false)
                .withCoder(SchemaCoder.of(table.beamSchema())));
  }

  /**
   * JdbcIO's pool where this code lives as long as the process; a connection per bundle, closed
   * with it, where it was loaded for one job ({@link JobClassLoader}): JdbcIO's pools are never
   * closed, and each job's would keep its connections to PostgreSQL open on every TaskManager.
   */
  static class DataSourceFn implements SerializableFunction<Void, DataSource> {
    private final PostgresSettings postgres;

    DataSourceFn(PostgresSettings postgres) {
      this.postgres = postgres;
    }

    @Override
    public DataSource apply(Void input) {
      return JobClassLoader.loadedForOneJob()
          ? postgres.unpooledDataSource()
          : JdbcIO.DataSourceProviderFromDataSourceConfiguration.of(
                  postgres.dataSourceConfiguration())
              .apply(null);
    }
  }

  /** Maps one result row with the contract's mapping and counts it as read. */
  static class Mapper implements JdbcIO.RowMapper<Row> {
    private final ClickHouseTable table;
    private final Counter read;

    Mapper(ClickHouseTable table, String readCounter) {
      this.table = table;
      this.read = ReindexMetrics.counter(readCounter);
    }

    @Override
    public Row mapRow(java.sql.ResultSet resultSet) throws Exception {
      read.inc();
      return PostgresQueries.row(table, resultSet);
    }
  }
}
