package dev.scorecards.reindex.pipeline;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupIntoBatches;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Reads the process scorecards among a given set of ids, as {@code scorecards} rows: what a
 * repair rewrites. Ids that are not (or no longer) process scorecards in PostgreSQL are
 * simply not found.
 */
public class ReadProcessScorecardsByIds extends PTransform<PBegin, PCollection<Row>> {
  private static final int IDS_PER_QUERY = 1_000;
  private final List<String> ids;
  private final PostgresSettings postgres;

  public ReadProcessScorecardsByIds(List<String> ids, PostgresSettings postgres) {
    this.ids = List.copyOf(ids);
    this.postgres = postgres;
  }

  @Override
  public PCollection<Row> expand(PBegin begin) {
    return begin
        .apply("Ids", Create.of(ids).withCoder(StringUtf8Coder.of()))
        .apply("KeyByShard", WithKeys.of((String id) -> BatchScorecards.shardOf(id, BatchScorecards.DEFAULT_SHARDS)).withKeyType(TypeDescriptors.integers()))
        .setCoder(KvCoder.of(VarIntCoder.of(), StringUtf8Coder.of()))
        .apply("GroupIds", GroupIntoBatches.ofSize(IDS_PER_QUERY))
        .apply("IdGroups", Values.create())
        .apply("QueryByIds", ParDo.of(new ReadFn(postgres)))
        .setRowSchema(ClickHouseTable.SCORECARDS.beamSchema());
  }

  static class ReadFn extends DoFn<Iterable<String>, Row> {
    private final PostgresSettings postgres;
    private final Counter read = ReindexMetrics.counter(ReindexMetrics.SCORECARDS_READ);

    ReadFn(PostgresSettings postgres) {
      this.postgres = postgres;
    }

    @ProcessElement
    public void processElement(@Element Iterable<String> group, OutputReceiver<Row> out) throws Exception {
      List<String> batch = StreamSupport.stream(group.spliterator(), false).collect(Collectors.toList());
      try (Connection connection = postgres.connect();
          PreparedStatement statement = connection.prepareStatement(PostgresQueries.READ_PROCESS_SCORECARDS_BY_IDS)) {
        Array array = connection.createArrayOf("text", batch.toArray(new String[0]));
        statement.setArray(1, array);
        try (ResultSet rs = statement.executeQuery()) {
          while (rs.next()) {
            read.inc();
            out.output(ClickHouseMapping.scorecard(PostgresQueries.scorecard(rs)));
          }
        }
      }
    }
  }
}
