package dev.scorecards.reindex.pipeline;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.clickhouse.ClickHouseDeletes;
import dev.scorecards.reindex.clickhouse.ClickHouseSettings;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Flow;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.postgres.PostgresQueries;
import dev.scorecards.reindex.postgres.PostgresSettings;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
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
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Clean-up before write: deletes from ClickHouse every row (scorecard and scores) of each scorecard
 * about to be rewritten, every row of each conversation about to be rewritten, and the orphans:
 * scorecards (with their scores) and conversations that ClickHouse holds for the window but
 * PostgreSQL no longer has at all. For process scorecards "for the window" means an {@code
 * update_time} in the window; for conversation scorecards, belonging to a conversation of the
 * window; for conversations, an {@code update_time} in the window.
 *
 * <p>Input: the ids read ({@link #SCORECARD_IDS}, {@link #CONVERSATION_IDS}). Output: one element
 * per delete group, complete only once every mutation it submitted has finished, so that writes
 * waiting on it ({@code Wait.on}) land after the deletes. Deletes are grouped by up to 20,000 ids a
 * mutation, not one per batch of 50: each ClickHouse mutation rewrites data parts, so few large
 * ones cost far less than many small ones. Rows outside the window are never touched: only ids read
 * in the window, or found for it on the ClickHouse side and gone from PostgreSQL, are named.
 * Scorecards that moved out of the window are left alone.
 */
public class CleanUpClickHouse extends PTransform<PCollectionTuple, PCollection<Integer>> {
  public static final TupleTag<String> SCORECARD_IDS = new TupleTag<>("scorecardIds") {};
  public static final TupleTag<String> CONVERSATION_IDS = new TupleTag<>("conversationIds") {};
  private static final int LOOKUP_BATCH = 1_000;

  private final ReindexWindow window;
  private final Set<Flow> flows;
  private final PostgresSettings postgres;
  private final ClickHouseSettings clickHouse;
  private final int deleteBatchSize;

  public CleanUpClickHouse(
      ReindexWindow window,
      Set<Flow> flows,
      PostgresSettings postgres,
      ClickHouseSettings clickHouse,
      int deleteBatchSize) {
    this.window = window;
    this.flows = Set.copyOf(flows);
    this.postgres = postgres;
    this.clickHouse = clickHouse;
    this.deleteBatchSize = deleteBatchSize;
  }

  @Override
  public PCollection<Integer> expand(PCollectionTuple ids) {
    PCollection<String> scorecardIds = ids.get(SCORECARD_IDS);
    PCollection<String> conversationIds = ids.get(CONVERSATION_IDS);
    PBegin begin = PBegin.in(ids.getPipeline());

    PCollectionList<String> scorecardCandidates = PCollectionList.empty(ids.getPipeline());
    if (flows.contains(Flow.PROCESS)) {
      scorecardCandidates =
          scorecardCandidates.and(
              listInWindow(
                  begin,
                  "ListProcessScorecardsInWindow",
                  "SELECT DISTINCT scorecard_id FROM "
                      + clickHouse.qualified(ClickHouseTable.SCORECARDS)
                      + " WHERE is_process_scorecard = 1"));
    }
    PCollectionList<Integer> done = PCollectionList.empty(ids.getPipeline());
    if (flows.contains(Flow.CONVERSATION)) {
      scorecardCandidates =
          scorecardCandidates.and(
              batch(
                      "BatchConversationIds",
                      conversationIds,
                      LOOKUP_BATCH,
                      BatchScorecards.DEFAULT_SHARDS)
                  .apply(
                      "ListScorecardsOfConversations",
                      ParDo.of(new ScorecardsOfConversationsFn(clickHouse))));
      PCollection<String> conversationOrphans =
          orphans(
              "Conversation",
              conversationIds,
              listInWindow(
                  begin,
                  "ListConversationsInWindow",
                  "SELECT DISTINCT conversation_id FROM "
                      + clickHouse.qualified(ClickHouseTable.CONVERSATIONS)
                      + " WHERE 1"),
              PostgresQueries.EXISTING_CONVERSATIONS);
      done =
          done.and(
              batch(
                      "BatchConversationDeletes",
                      PCollectionList.of(conversationIds)
                          .and(conversationOrphans)
                          .apply("ConversationsAndOrphans", Flatten.pCollections()),
                      deleteBatchSize,
                      1)
                  .apply(
                      "DeleteConversations",
                      ParDo.of(
                          new DeleteFn(clickHouse, ClickHouseTable.CONVERSATIONS.idColumn()))));
    }
    PCollection<String> scorecardOrphans =
        orphans(
            "Scorecard",
            scorecardIds,
            scorecardCandidates
                .apply("ScorecardCandidates", Flatten.pCollections())
                .setCoder(StringUtf8Coder.of()),
            PostgresQueries.EXISTING_SCORECARDS);
    // One key: every delete group but the last is full, so mutations are as few as can be.
    done =
        done.and(
            batch(
                    "BatchScorecardDeletes",
                    PCollectionList.of(scorecardIds)
                        .and(scorecardOrphans)
                        .apply("ScorecardsAndOrphans", Flatten.pCollections()),
                    deleteBatchSize,
                    1)
                .apply(
                    "DeleteScorecardsAndWaitForMutations",
                    ParDo.of(new DeleteFn(clickHouse, ClickHouseTable.SCORECARDS.idColumn()))));
    return done.apply("AllDeletesDone", Flatten.pCollections());
  }

  /**
   * The ids a ClickHouse query lists whose {@code update_time} lies in the window (whole seconds).
   */
  private PCollection<String> listInWindow(PBegin begin, String name, String selectWhere) {
    long[] seconds = window.clickHouseSeconds();
    String sql =
        selectWhere
            + " AND update_time >= toDateTime("
            + seconds[0]
            + ") AND update_time < toDateTime("
            + seconds[1]
            + ")";
    return begin
        .apply(name + "Query", Create.of(sql).withCoder(StringUtf8Coder.of()))
        .apply(name, ParDo.of(new ListIdsFn(clickHouse)));
  }

  /** The candidates that were not read in the window and that PostgreSQL no longer has. */
  private PCollection<String> orphans(
      String what, PCollection<String> read, PCollection<String> candidates, String existingSql) {
    PCollection<String> notRead =
        PCollectionList.of(
                read.apply(
                    "Tag" + what + "Read", MapElements.into(kvs()).via(id -> KV.of(id, true))))
            .and(
                candidates.apply(
                    "Tag" + what + "Candidates",
                    MapElements.into(kvs()).via(id -> KV.of(id, false))))
            .apply(what + "BothSides", Flatten.pCollections())
            .apply(what + "ById", GroupByKey.create())
            .apply(what + "NotReadInWindow", Filter.by(kv -> !anyTrue(kv.getValue())))
            .apply(what + "Ids", Keys.create());
    return batch(
            "Batch" + what + "Candidates", notRead, LOOKUP_BATCH, BatchScorecards.DEFAULT_SHARDS)
        .apply(
            "Keep" + what + "sGoneFromPostgres",
            ParDo.of(new GoneFromPostgresFn(postgres, existingSql)));
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

  private static PCollection<Iterable<String>> batch(
      String name, PCollection<String> ids, int size, int shards) {
    return ids.apply(
            name + "Key",
            WithKeys.of((String id) -> BatchScorecards.shardOf(id, shards))
                .withKeyType(TypeDescriptors.integers()))
        .setCoder(KvCoder.of(VarIntCoder.of(), StringUtf8Coder.of()))
        .apply(name, GroupIntoBatches.ofSize(size))
        .apply(name + "Values", Values.create());
  }

  /** Runs a query listing ids and emits them. */
  static class ListIdsFn extends DoFn<String, String> {
    private final ClickHouseSettings clickHouse;

    ListIdsFn(ClickHouseSettings clickHouse) {
      this.clickHouse = clickHouse;
    }

    @ProcessElement
    public void processElement(@Element String sql, OutputReceiver<String> out) {
      for (List<String> row : new ClickHouseClient(clickHouse).rows(sql)) {
        out.output(row.get(0));
      }
    }
  }

  /** The conversation scorecards ClickHouse holds for the given conversations. */
  static class ScorecardsOfConversationsFn extends DoFn<Iterable<String>, String> {
    private final ClickHouseSettings clickHouse;

    ScorecardsOfConversationsFn(ClickHouseSettings clickHouse) {
      this.clickHouse = clickHouse;
    }

    @ProcessElement
    public void processElement(
        @Element Iterable<String> conversationIds, OutputReceiver<String> out) {
      String in =
          StreamSupport.stream(conversationIds.spliterator(), false)
              .map(ClickHouseClient::quote)
              .collect(Collectors.joining(","));
      String sql =
          "SELECT DISTINCT scorecard_id FROM "
              + clickHouse.qualified(ClickHouseTable.SCORECARDS)
              + " WHERE is_process_scorecard = 0 AND conversation_id IN ("
              + in
              + ")";
      for (List<String> row : new ClickHouseClient(clickHouse).rows(sql)) {
        out.output(row.get(0));
      }
    }
  }

  /**
   * Keeps the ids that no longer exist in PostgreSQL at all (not merely moved out of the window).
   */
  static class GoneFromPostgresFn extends DoFn<Iterable<String>, String> {
    private final PostgresSettings postgres;
    private final String existingSql;
    private final Counter orphansFound = ReindexMetrics.counter(ReindexMetrics.ORPHANS_FOUND);

    GoneFromPostgresFn(PostgresSettings postgres, String existingSql) {
      this.postgres = postgres;
      this.existingSql = existingSql;
    }

    @ProcessElement
    public void processElement(@Element Iterable<String> candidates, OutputReceiver<String> out)
        throws Exception {
      List<String> ids =
          StreamSupport.stream(candidates.spliterator(), false).collect(Collectors.toList());
      Set<String> existing = new HashSet<>();
      try (Connection connection = postgres.connect();
          PreparedStatement statement = connection.prepareStatement(existingSql)) {
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

  /**
   * Deletes every row of the given ids (scorecards or conversations, by {@code idColumn}) from the
   * tables keyed by it; waits for its mutations at the end of the bundle.
   */
  static class DeleteFn extends DoFn<Iterable<String>, Integer> {
    private final ClickHouseSettings clickHouse;
    private final String idColumn;
    private final java.util.Map<ClickHouseTable, Counter> rowsDeleted =
        new java.util.EnumMap<>(ClickHouseTable.class);
    private final Counter mutations = ReindexMetrics.counter(ReindexMetrics.MUTATIONS);
    private transient ClickHouseClient client;
    private transient boolean submitted;

    DeleteFn(ClickHouseSettings clickHouse, String idColumn) {
      this.clickHouse = clickHouse;
      this.idColumn = idColumn;
      for (ClickHouseTable t : ClickHouseDeletes.tablesKeyedBy(idColumn)) {
        rowsDeleted.put(t, ReindexMetrics.counter(ReindexMetrics.deletedCounterOf(t)));
      }
    }

    @Setup
    public void setup() {
      JobClassLoader.releaseHolds();
      client = new ClickHouseClient(clickHouse);
    }

    @StartBundle
    public void startBundle() {
      submitted = false;
    }

    @ProcessElement
    public void processElement(@Element Iterable<String> ids, OutputReceiver<Integer> out) {
      List<String> group =
          StreamSupport.stream(ids.spliterator(), false).collect(Collectors.toList());
      ClickHouseDeletes.Deleted deleted = ClickHouseDeletes.submit(client, idColumn, group);
      rowsDeleted.forEach((table, counter) -> counter.inc(deleted.rows().get(table)));
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
