package dev.scorecards.reindex.pipeline;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Joins each batch of scorecards with its historic scores: one PostgreSQL query per batch,
 * the batch's ids bound as one {@code text[]} parameter. Emits the scorecards on
 * {@link #SCORECARDS} and their mapped scores on {@link #SCORES}.
 */
public class JoinScores extends PTransform<PCollection<Iterable<Row>>, PCollectionTuple> {
  public static final TupleTag<Row> SCORECARDS = new TupleTag<>("scorecards") {};
  public static final TupleTag<Row> SCORES = new TupleTag<>("scores") {};

  private final PostgresSettings postgres;

  public JoinScores(PostgresSettings postgres) {
    this.postgres = postgres;
  }

  @Override
  public PCollectionTuple expand(PCollection<Iterable<Row>> batches) {
    PCollectionTuple joined =
        batches.apply(
            "QueryScoresPerBatch",
            ParDo.of(new JoinFn(postgres)).withOutputTags(SCORECARDS, TupleTagList.of(SCORES)));
    joined.get(SCORECARDS).setRowSchema(ClickHouseTable.SCORECARDS.beamSchema());
    joined.get(SCORES).setRowSchema(ClickHouseTable.SCORES.beamSchema());
    return joined;
  }

  static class JoinFn extends DoFn<Iterable<Row>, Row> {
    private final PostgresSettings postgres;
    private final Counter scoresRead = ReindexMetrics.counter(ReindexMetrics.SCORES_READ);
    private final Counter batchesJoined = ReindexMetrics.counter(ReindexMetrics.BATCHES_JOINED);
    // What this step hands to the writers (WriteToClickHouse counts nothing itself for these tables).
    private final Counter scorecardsWritten = ReindexMetrics.counter(ReindexMetrics.SCORECARDS_WRITTEN);
    private final Counter scoresWritten = ReindexMetrics.counter(ReindexMetrics.SCORES_WRITTEN);
    private final Counter scoresWrittenDigest = ReindexMetrics.counter(ReindexMetrics.SCORES_WRITTEN_DIGEST);
    private transient Connection connection;
    private transient PreparedStatement statement;

    JoinFn(PostgresSettings postgres) {
      this.postgres = postgres;
    }

    /**
     * One connection and one prepared statement per instance, kept open: a pooled connection
     * borrowed per batch would cost a validation query per batch, doubling the queries.
     */
    @Setup
    public void setup() throws java.sql.SQLException {
      connection = postgres.connect();
      statement = connection.prepareStatement(PostgresQueries.SCORES_OF_SCORECARDS);
    }

    @Teardown
    public void teardown() throws java.sql.SQLException {
      if (connection != null) {
        connection.close();
      }
    }

    @ProcessElement
    public void processElement(@Element Iterable<Row> batch, MultiOutputReceiver out) throws Exception {
      Map<String, Row> byId = new HashMap<>();
      for (Row scorecard : batch) {
        byId.put(scorecard.getString("scorecard_id"), scorecard);
      }
      List<SourceScore> scores = new ArrayList<>();
      Array ids = connection.createArrayOf("text", byId.keySet().toArray(new String[0]));
      statement.setArray(1, ids);
      try (ResultSet rs = statement.executeQuery()) {
        while (rs.next()) {
          scores.add(PostgresQueries.score(rs));
        }
      }
      ids.free();
      batchesJoined.inc();
      scoresRead.inc(scores.size());
      long digest = 0;
      for (SourceScore score : scores) {
        Row row = ClickHouseMapping.score(byId.get(score.scorecardId()), score);
        digest += WriteAccounting.scoreDigest(row);
        out.get(SCORES).output(row);
      }
      for (Row scorecard : byId.values()) {
        out.get(SCORECARDS).output(scorecard);
      }
      scoresWritten.inc(scores.size());
      scoresWrittenDigest.inc(digest);
      scorecardsWritten.inc(byId.size());
    }
  }
}
