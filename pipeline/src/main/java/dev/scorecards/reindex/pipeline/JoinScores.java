package dev.scorecards.reindex.pipeline;

import dev.scorecards.reindex.accounting.WriteAccounting;
import dev.scorecards.reindex.model.ClickHouseMapping;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.postgres.PostgresQueries;
import dev.scorecards.reindex.postgres.PostgresSettings;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;
import org.joda.time.Instant;

/**
 * Joins each batch of scorecards with its historic scores: one PostgreSQL query per batch, the
 * batch's ids bound as one {@code text[]} parameter. Emits the scorecards on {@link #SCORECARDS}
 * and their mapped scores on {@link #SCORES}.
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

  /**
   * Queries PostgreSQL ahead of what it emits. A batch's query runs, and its rows are decoded, on a
   * thread of the instance's own (with the instance's one connection, one query at a time) while
   * the runner's thread maps and hands over the batches already fetched: the runner's thread no
   * longer waits for PostgreSQL's answer to each batch (0.76 ms per batch of 50, 4,000 batches per
   * 200,000 scorecards). At most {@link #IN_FLIGHT} batches are fetched ahead; everything is
   * emitted before the bundle finishes. Counters and outputs stay on the runner's thread (Beam's
   * metrics containers are per thread).
   */
  static class JoinFn extends DoFn<Iterable<Row>, Row> {
    /** Batches queried ahead of the one being emitted: enough to keep one query always running. */
    static final int IN_FLIGHT = 3;

    private final PostgresSettings postgres;
    private final Counter scoresRead = ReindexMetrics.counter(ReindexMetrics.SCORES_READ);
    private final Counter batchesJoined = ReindexMetrics.counter(ReindexMetrics.BATCHES_JOINED);
    // What this step hands to the writers (WriteToClickHouse counts nothing itself for these
    // tables).
    private final Counter scorecardsWritten =
        ReindexMetrics.counter(ReindexMetrics.SCORECARDS_WRITTEN);
    private final Counter scoresWritten = ReindexMetrics.counter(ReindexMetrics.SCORES_WRITTEN);
    private final Counter scoresWrittenDigest =
        ReindexMetrics.counter(ReindexMetrics.SCORES_WRITTEN_DIGEST);
    private transient Connection connection;
    private transient PreparedStatement statement;
    private transient ExecutorService fetcher;
    private transient ArrayDeque<Pending> pending;
    private transient WriteAccounting.ScoreDigests digests;

    /** A batch whose scores are being fetched, with where its outputs belong. */
    private record Pending(
        Map<String, Row> byId,
        Future<List<Object[]>> scores,
        Instant timestamp,
        BoundedWindow window) {}

    JoinFn(PostgresSettings postgres) {
      this.postgres = postgres;
    }

    /**
     * One connection and one prepared statement per instance, kept open: a pooled connection
     * borrowed per batch would cost a validation query per batch, doubling the queries.
     */
    @Setup
    public void setup() throws java.sql.SQLException {
      JobClassLoader.releaseHolds();
      connection = postgres.connect();
      statement = connection.prepareStatement(PostgresQueries.SCORES_OF_SCORECARDS);
      fetcher =
          Executors.newSingleThreadExecutor(
              runnable -> {
                Thread thread = new Thread(runnable, "reindex-join-fetch");
                thread.setDaemon(true);
                return thread;
              });
      pending = new ArrayDeque<>();
      digests = new WriteAccounting.ScoreDigests();
    }

    @Teardown
    public void teardown() throws java.sql.SQLException {
      if (fetcher != null) {
        fetcher.shutdownNow();
      }
      if (connection != null) {
        connection.close();
      }
      JobClassLoader.releaseHolds();
    }

    @StartBundle
    public void startBundle() {
      pending.clear();
    }

    @ProcessElement
    public void processElement(
        @Element Iterable<Row> batch,
        @Timestamp Instant timestamp,
        BoundedWindow window,
        MultiOutputReceiver out)
        throws Exception {
      Map<String, Row> byId = new HashMap<>();
      for (Row scorecard : batch) {
        byId.put(scorecard.getString("scorecard_id"), scorecard);
      }
      String[] ids = byId.keySet().toArray(new String[0]);
      pending.add(new Pending(byId, fetcher.submit(() -> fetch(ids)), timestamp, window));
      // Emit what has arrived, waiting only when too many batches are ahead. A batch of another
      // window or timestamp (none in this pipeline) waits for the bundle's end, which emits it
      // in its own.
      OutputReceiver<Row> scoresOut = out.get(SCORES);
      OutputReceiver<Row> scorecardsOut = out.get(SCORECARDS);
      while (!pending.isEmpty()
          && (pending.size() > IN_FLIGHT || pending.peek().scores().isDone())
          && pending.peek().window().equals(window)
          && pending.peek().timestamp().equals(timestamp)) {
        emit(pending.poll(), scoresOut::output, scorecardsOut::output);
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) throws Exception {
      while (!pending.isEmpty()) {
        Pending next = pending.poll();
        emit(
            next,
            row -> context.output(SCORES, row, next.timestamp(), next.window()),
            row -> context.output(SCORECARDS, row, next.timestamp(), next.window()));
      }
    }

    /** On the fetching thread: the batch's scores, decoded. */
    private List<Object[]> fetch(String[] scorecardIds) throws java.sql.SQLException {
      List<Object[]> scores = new ArrayList<>();
      Array ids = connection.createArrayOf("text", scorecardIds);
      statement.setArray(1, ids);
      try (ResultSet rs = statement.executeQuery()) {
        while (rs.next()) {
          scores.add(PostgresQueries.scoreOwnValues(rs));
        }
      }
      ids.free();
      return scores;
    }

    /**
     * Maps the batch's scores and hands them and its scorecards over, counting what was handed
     * over.
     */
    private void emit(Pending batch, Consumer<Row> scoresOut, Consumer<Row> scorecardsOut)
        throws Exception {
      List<Object[]> scores;
      try {
        scores = batch.scores().get();
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
      batchesJoined.inc();
      scoresRead.inc(scores.size());
      long digest = 0;
      // PostgreSQL returns a scorecard's scores together (its index's order): look the
      // scorecard up once per run of its scores, not once per score.
      String scorecardId = null;
      Row ofScorecard = null;
      for (Object[] score : scores) {
        if (!score[ClickHouseMapping.SCORE_SCORECARD_ID].equals(scorecardId)) {
          scorecardId = (String) score[ClickHouseMapping.SCORE_SCORECARD_ID];
          ofScorecard = batch.byId().get(scorecardId);
        }
        Row row = ClickHouseMapping.score(ofScorecard, score);
        digest += digests.of(row);
        scoresOut.accept(row);
      }
      for (Row scorecard : batch.byId().values()) {
        scorecardsOut.accept(scorecard);
      }
      scoresWritten.inc(scores.size());
      scoresWrittenDigest.inc(digest);
      scorecardsWritten.inc(batch.byId().size());
    }
  }
}
