package dev.scorecards.reindex.pipeline;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import javax.sql.DataSource;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.jdbc.JdbcIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.GroupIntoBatches;
import org.apache.beam.sdk.transforms.Keys;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Clean-up before write: deletes from ClickHouse every row (scorecard and scores) of each
 * scorecard about to be rewritten, and the process scorecards (with their scores) whose
 * ClickHouse {@code update_time} lies in the window but which no longer exist in PostgreSQL.
 *
 * <p>Input: the ids of the scorecards read. Output: one element per delete group, complete
 * only once every mutation it submitted has finished, so that writes waiting on it
 * ({@code Wait.on}) land after the deletes. Deletes are grouped by {@code deleteBatchSize}
 * ids per mutation, not one per batch of 50: each ClickHouse mutation rewrites data parts,
 * so few large ones cost far less than many small ones. Rows outside the window are never
 * touched: only ids read in the window, or found in it on the ClickHouse side, are named.
 */
public class CleanUpClickHouse extends PTransform<PCollection<String>, PCollection<Integer>> {
  private static final int EXISTENCE_CHECK_BATCH = 1_000;

  private final ReindexWindow window;
  private final PostgresSettings postgres;
  private final ClickHouseSettings clickHouse;
  private final int deleteBatchSize;

  public CleanUpClickHouse(ReindexWindow window, PostgresSettings postgres, ClickHouseSettings clickHouse, int deleteBatchSize) {
    this.window = window;
    this.postgres = postgres;
    this.clickHouse = clickHouse;
    this.deleteBatchSize = deleteBatchSize;
  }

  @Override
  public PCollection<Integer> expand(PCollection<String> readIds) {
    PCollection<String> inClickHouse =
        readIds.getPipeline()
            .apply("Window", Create.of(window).withCoder(org.apache.beam.sdk.coders.SerializableCoder.of(ReindexWindow.class)))
            .apply("ListClickHouseScorecardsInWindow", ParDo.of(new ListWindowIdsFn(clickHouse)));

    PCollection<String> onlyInClickHouse =
        PCollectionList.of(readIds.apply("TagRead", MapElements.into(kvs()).via(id -> KV.of(id, true))))
            .and(inClickHouse.apply("TagClickHouse", MapElements.into(kvs()).via(id -> KV.of(id, false))))
            .apply("BothSides", Flatten.pCollections())
            .apply("ById", GroupByKey.create())
            .apply("NotReadInWindow", Filter.by(kv -> !anyTrue(kv.getValue())))
            .apply("Ids", Keys.create());

    PCollection<String> orphans =
        batch("BatchCandidates", onlyInClickHouse, EXISTENCE_CHECK_BATCH, BatchScorecards.DEFAULT_SHARDS)
            .apply("KeepThoseGoneFromPostgres", ParDo.of(new GoneFromPostgresFn(postgres)));

    // One key: every delete group but the last is full, so mutations are as few as can be.
    return batch("BatchDeletes", PCollectionList.of(readIds).and(orphans).apply("ReadAndOrphans", Flatten.pCollections()), deleteBatchSize, 1)
        .apply("DeleteAndWaitForMutations", ParDo.of(new DeleteFn(clickHouse)));
  }

  private static org.apache.beam.sdk.values.TypeDescriptor<KV<String, Boolean>> kvs() {
    return TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptors.booleans());
  }

  private static boolean anyTrue(Iterable<Boolean> values) {
    for (Boolean v : values) {
      if (v) {
        return true;
      }
    }
    return false;
  }

  private static PCollection<Iterable<String>> batch(String name, PCollection<String> ids, int size, int shards) {
    return ids.apply(name + "Key", WithKeys.of((String id) -> BatchScorecards.shardOf(id, shards)).withKeyType(TypeDescriptors.integers()))
        .setCoder(KvCoder.of(VarIntCoder.of(), StringUtf8Coder.of()))
        .apply(name, GroupIntoBatches.ofSize(size))
        .apply(name + "Values", Values.create());
  }

  /** The process scorecards ClickHouse holds with an update_time in the window. */
  static class ListWindowIdsFn extends DoFn<ReindexWindow, String> {
    private final ClickHouseSettings clickHouse;

    ListWindowIdsFn(ClickHouseSettings clickHouse) {
      this.clickHouse = clickHouse;
    }

    @ProcessElement
    public void processElement(@Element ReindexWindow window, OutputReceiver<String> out) {
      long[] seconds = window.clickHouseSeconds();
      String sql = "SELECT DISTINCT scorecard_id FROM " + clickHouse.qualified(ClickHouseTable.SCORECARDS)
          + " WHERE is_process_scorecard = 1 AND update_time >= toDateTime(" + seconds[0] + ")"
          + " AND update_time < toDateTime(" + seconds[1] + ")";
      for (List<String> row : new ClickHouseClient(clickHouse).rows(sql)) {
        out.output(row.get(0));
      }
    }
  }

  /** Keeps the ids that no longer exist in PostgreSQL at all (not merely moved out of the window). */
  static class GoneFromPostgresFn extends DoFn<Iterable<String>, String> {
    private final PostgresSettings postgres;
    private final Counter orphansFound = ReindexMetrics.counter(ReindexMetrics.ORPHANS_FOUND);
    private transient DataSource dataSource;

    GoneFromPostgresFn(PostgresSettings postgres) {
      this.postgres = postgres;
    }

    @Setup
    public void setup() {
      dataSource = JdbcIO.DataSourceProviderFromDataSourceConfiguration.of(postgres.dataSourceConfiguration()).apply(null);
    }

    @ProcessElement
    public void processElement(@Element Iterable<String> candidates, OutputReceiver<String> out) throws Exception {
      List<String> ids = StreamSupport.stream(candidates.spliterator(), false).collect(Collectors.toList());
      Set<String> existing = new HashSet<>();
      try (Connection connection = dataSource.getConnection();
          PreparedStatement statement = connection.prepareStatement(PostgresQueries.EXISTING_SCORECARDS)) {
        Array array = connection.createArrayOf("text", ids.toArray(new String[0]));
        statement.setArray(1, array);
        try (ResultSet rs = statement.executeQuery()) {
          while (rs.next()) {
            existing.add(rs.getString(1));
          }
        }
      }
      for (String id : ids) {
        if (!existing.contains(id)) {
          orphansFound.inc();
          out.output(id);
        }
      }
    }
  }

  /** Deletes every row of the given scorecards from both tables; waits for its mutations at the end of the bundle. */
  static class DeleteFn extends DoFn<Iterable<String>, Integer> {
    private final ClickHouseSettings clickHouse;
    private final Counter scorecardRowsDeleted = ReindexMetrics.counter(ReindexMetrics.SCORECARDS_DELETED);
    private final Counter scoreRowsDeleted = ReindexMetrics.counter(ReindexMetrics.SCORES_DELETED);
    private final Counter mutations = ReindexMetrics.counter(ReindexMetrics.MUTATIONS);
    private transient ClickHouseClient client;
    private transient boolean submitted;

    DeleteFn(ClickHouseSettings clickHouse) {
      this.clickHouse = clickHouse;
    }

    @Setup
    public void setup() {
      client = new ClickHouseClient(clickHouse);
    }

    @StartBundle
    public void startBundle() {
      submitted = false;
    }

    @ProcessElement
    public void processElement(@Element Iterable<String> ids, OutputReceiver<Integer> out) {
      List<String> group = StreamSupport.stream(ids.spliterator(), false).collect(Collectors.toList());
      ClickHouseDeletes.Deleted deleted = ClickHouseDeletes.submit(client, group);
      scorecardRowsDeleted.inc(deleted.scorecardRows());
      scoreRowsDeleted.inc(deleted.scoreRows());
      mutations.inc(deleted.mutations());
      submitted |= deleted.mutations() > 0;
      out.output(group.size());
    }

    @FinishBundle
    public void finishBundle() throws InterruptedException {
      if (submitted) {
        ClickHouseDeletes.waitForMutations(client, ClickHouseDeletes.MUTATION_TIMEOUT);
      }
    }
  }
}
