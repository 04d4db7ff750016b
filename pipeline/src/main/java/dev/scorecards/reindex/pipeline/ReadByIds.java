package dev.scorecards.reindex.pipeline;

import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.postgres.PostgresQueries;
import dev.scorecards.reindex.postgres.PostgresSettings;
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
 * Reads the scorecards (or conversations) among a given set of ids, as rows of their ClickHouse
 * table: what a repair rewrites. Ids PostgreSQL no longer has are simply not found.
 */
public class ReadByIds extends PTransform<PBegin, PCollection<Row>> {
  private static final int IDS_PER_QUERY = 1_000;
  private final ClickHouseTable table;
  private final List<String> ids;
  private final PostgresSettings postgres;

  private ReadByIds(ClickHouseTable table, List<String> ids, PostgresSettings postgres) {
    this.table = table;
    this.ids = List.copyOf(ids);
    this.postgres = postgres;
  }

  public static ReadByIds scorecards(List<String> ids, PostgresSettings postgres) {
    return new ReadByIds(ClickHouseTable.SCORECARDS, ids, postgres);
  }

  public static ReadByIds conversations(List<String> ids, PostgresSettings postgres) {
    return new ReadByIds(ClickHouseTable.CONVERSATIONS, ids, postgres);
  }

  @Override
  public PCollection<Row> expand(PBegin begin) {
    return begin
        .apply("Ids", Create.of(ids).withCoder(StringUtf8Coder.of()))
        .apply(
            "KeyByShard",
            WithKeys.of((String id) -> BatchScorecards.shardOf(id, BatchScorecards.DEFAULT_SHARDS))
                .withKeyType(TypeDescriptors.integers()))
        .setCoder(KvCoder.of(VarIntCoder.of(), StringUtf8Coder.of()))
        .apply("GroupIds", GroupIntoBatches.ofSize(IDS_PER_QUERY))
        .apply("IdGroups", Values.create())
        .apply("QueryByIds", ParDo.of(new ReadFn(table, postgres)))
        .setRowSchema(table.beamSchema());
  }

  static class ReadFn extends DoFn<Iterable<String>, Row> {
    private final ClickHouseTable table;
    private final PostgresSettings postgres;
    private final Counter read;

    ReadFn(ClickHouseTable table, PostgresSettings postgres) {
      this.table = table;
      this.postgres = postgres;
      this.read = ReindexMetrics.counter(ReindexMetrics.readCounterOf(table));
    }

    @ProcessElement
    public void processElement(@Element Iterable<String> group, OutputReceiver<Row> out)
        throws Exception {
      List<String> batch =
          StreamSupport.stream(group.spliterator(), false).collect(Collectors.toList());
      try (Connection connection = postgres.connect();
          PreparedStatement statement =
              connection.prepareStatement(PostgresQueries.readByIds(table))) {
        Array array = connection.createArrayOf("text", batch.toArray(new String[0]));
        statement.setArray(1, array);
        try (ResultSet rs = statement.executeQuery()) {
          while (rs.next()) {
            read.inc();
            out.output(PostgresQueries.row(table, rs));
          }
        }
      }
    }
  }
}
