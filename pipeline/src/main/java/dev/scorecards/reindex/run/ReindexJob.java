package dev.scorecards.reindex.run;

import dev.scorecards.reindex.accounting.WriteAccounting;
import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.clickhouse.ClickHouseReplicas;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Flow;
import dev.scorecards.reindex.model.PartitionPlan;
import dev.scorecards.reindex.model.PerTable;
import dev.scorecards.reindex.model.ReindexWindow;
import dev.scorecards.reindex.pipeline.ReindexMetrics;
import dev.scorecards.reindex.pipeline.ReindexPipeline;
import dev.scorecards.reindex.postgres.PostgresQueries;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * One reindex run in explicit phases: prepare (reach both databases, count, plan the partitions),
 * run the pipeline and wait for it, then account (the counts read, written and received by
 * ClickHouse must agree). Any disagreement fails the run.
 */
public final class ReindexJob {
  private ReindexJob() {}

  /** Receives progress while the pipeline runs. */
  public interface Progress {
    Progress NONE = new Progress() {};

    default void started(long total) {}

    default void advanced(long scorecardsDone) {}

    /** The pipeline is running: the handle to cancel it with. */
    default void running(PipelineResult result) {}

    /** Work was done since the last call: a batch joined, rows handed to a writer, rows deleted. */
    default void heartbeat() {}

    /** The longest the caller waits for a {@link #heartbeat}: how often progress must be seen. */
    default java.time.Duration heartbeatTimeout() {
      return java.time.Duration.ofMinutes(5);
    }

    default void finished() {}
  }

  /**
   * Sees a job's progress from outside the runner while its {@code run()} blocks: Flink's attached
   * submission returns only when the job has ended, so the pipeline's metrics, which the loop in
   * {@link #runPipeline} reads for the heartbeat, show nothing of a chunk until then.
   */
  public interface Watch {
    Watch NONE = (options, within, beat) -> Watching.NONE;

    /**
     * Starts watching the job about to run with {@code options}; {@code beat} on progress, seen
     * often enough for a caller that waits {@code within} for it.
     */
    Watching start(PipelineOptions options, java.time.Duration within, Runnable beat);
  }

  /** A job being watched. */
  public interface Watching extends AutoCloseable {
    Watching NONE = () -> {};

    /** The run was given up while its job may still run (an abandoned attempt): stop the job. */
    default void cancelJob() {}

    @Override
    void close();
  }

  private static volatile Watch watch = Watch.NONE;

  /** The watch of every later pipeline run in this process (the runner's, set by the CLI). */
  public static void watchWith(Watch w) {
    watch = java.util.Objects.requireNonNull(w);
  }

  /** How long the accounting waits for every replica of a cluster to hold what was written. */
  static final java.time.Duration REPLICATION_TIMEOUT = java.time.Duration.ofMinutes(10);

  /** What a run did: for each target table the rows read, handed to the writer and deleted. */
  public record Summary(
      long counted,
      int partitions,
      PerTable read,
      PerTable written,
      PerTable deleted,
      long orphansDeleted,
      long mutations,
      WriteAccounting.Received received,
      double seconds,
      double pipelineSeconds,
      double accountingSeconds) {

    public String describe() {
      StringBuilder out = new StringBuilder();
      for (ClickHouseTable t : ClickHouseTable.values()) {
        out.append(
            String.format(
                "%-14s %,d read, %,d written, %,d in ClickHouse%n",
                t.tableName() + ":", read.get(t), written.get(t), received.inClickHouse().get(t)));
      }
      long scorecards = written.get(ClickHouseTable.SCORECARDS);
      return out.append(
              String.format(
                  "%-14s %s (%,d orphans; %,d mutations)%n"
                      + "%-14s %.1f s (pipeline %.1f s, accounting %.1f s), %,.0f rows/s (%,.0f scorecards/s), %d partitions",
                  "rows deleted:",
                  deleted.describe(),
                  orphansDeleted,
                  mutations,
                  "time:",
                  seconds,
                  pipelineSeconds,
                  accountingSeconds,
                  seconds > 0 ? written.total() / seconds : 0,
                  seconds > 0 ? scorecards / seconds : 0,
                  partitions))
          .toString();
    }
  }

  /** The counts of a run disagree: something was lost or added on the way. */
  public static class CountsDisagreeException extends RuntimeException {
    private final transient Summary summary;

    public CountsDisagreeException(String message, Summary summary) {
      super(message);
      this.summary = summary;
    }

    public Summary summary() {
      return summary;
    }
  }

  /** A pipeline that has run to its end, waiting to be accounted for. */
  public record Ran(
      ReindexConfig config,
      ClickHouseClient clickHouse,
      long counted,
      int partitions,
      MetricQueryResults metrics,
      long began,
      long pipelineBegan,
      long pipelineEnded) {}

  public static Summary run(ReindexConfig config, PipelineOptions options, Progress progress)
      throws SQLException, InterruptedException {
    return account(runPipeline(config, options, progress, java.util.OptionalLong.empty()));
  }

  /**
   * Prepare and run the pipeline; {@link #account} checks what ClickHouse received. {@code
   * knownCount}, when present, is the window's scorecards as the caller has just counted them (a
   * run of one chunk): not counted again.
   */
  public static Ran runPipeline(
      ReindexConfig config,
      PipelineOptions options,
      Progress progress,
      java.util.OptionalLong knownCount)
      throws SQLException, InterruptedException {
    long began = System.nanoTime();
    config = config.resolved();
    ClickHouseClient clickHouse = new ClickHouseClient(config.clickHouse());
    String version = clickHouse.execute("SELECT version()").trim();
    long counted = knownCount.isPresent() ? knownCount.getAsLong() : countInPostgres(config);
    PartitionPlan plan = partitionPlan(config, counted);

    long pipelineBegan = System.nanoTime();
    PipelineResult result;
    try (Watching watching =
        watch.start(options, progress.heartbeatTimeout(), progress::heartbeat)) {
      try {
        result = ReindexPipeline.build(config, plan, version, options).run();
      } catch (RuntimeException | Error e) {
        watching.cancelJob();
        throw e;
      }
    }
    progress.running(result);
    progress.started(counted);
    try {
      PipelineResult.State state;
      long work = 0;
      do {
        state = result.waitUntilFinish(org.joda.time.Duration.millis(500));
        MetricQueryResults live = result.metrics().allMetrics();
        long scorecardsWritten = counter(live, ReindexMetrics.SCORECARDS_WRITTEN, false);
        progress.advanced(scorecardsWritten);
        long now =
            counter(live, ReindexMetrics.BATCHES_JOINED, false)
                + counter(live, ReindexMetrics.MUTATIONS, false);
        for (ClickHouseTable t : ClickHouseTable.values()) {
          now += counter(live, ReindexMetrics.writtenCounterOf(t), false);
        }
        if (now > work) {
          work = now;
          progress.heartbeat();
        }
      } while (state == null || !state.isTerminal());
      if (state != PipelineResult.State.DONE) {
        throw new IllegalStateException("the pipeline ended " + state);
      }
    } finally {
      progress.finished();
    }

    MetricQueryResults metrics =
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.inNamespace(ReindexMetrics.NAMESPACE))
                    .build());
    return new Ran(
        config,
        clickHouse,
        counted,
        plan.ranges().size(),
        metrics,
        began,
        pipelineBegan,
        System.nanoTime());
  }

  /**
   * The accounting of a pipeline that ran: throws {@link CountsDisagreeException} unless read =
   * written = received.
   */
  public static Summary account(Ran ran) throws SQLException {
    ReindexConfig config = ran.config();
    ClickHouseClient clickHouse = ran.clickHouse();
    MetricQueryResults metrics = ran.metrics();
    long counted = ran.counted();
    long accountingBegan = System.nanoTime();
    if (config.clickHouse().clustered()) {
      // The writes returned once one replica of each shard held them; count only once all do,
      // whichever replica then answers through the Distributed tables.
      try {
        ClickHouseReplicas.awaitReplication(clickHouse, REPLICATION_TIMEOUT);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for ClickHouse's replicas", e);
      }
    }
    WriteAccounting.Written written =
        new WriteAccounting.Written(
            counter(metrics, ReindexMetrics.SCORES_WRITTEN, true),
            counter(metrics, ReindexMetrics.SCORES_WRITTEN_DIGEST, true));
    WriteAccounting.Received received =
        new WriteAccounting(config.postgres(), clickHouse)
            .check(config.window(), config.mode().flows(), written);
    Summary summary =
        new Summary(
            counted,
            ran.partitions(),
            PerTable.of(t -> counter(metrics, ReindexMetrics.readCounterOf(t), true)),
            PerTable.of(t -> counter(metrics, ReindexMetrics.writtenCounterOf(t), true)),
            PerTable.of(t -> counter(metrics, ReindexMetrics.deletedCounterOf(t), true)),
            counter(metrics, ReindexMetrics.ORPHANS_FOUND, true),
            counter(metrics, ReindexMetrics.MUTATIONS, true),
            received,
            (ran.pipelineEnded() - ran.began()) / 1e9 + (System.nanoTime() - accountingBegan) / 1e9,
            (ran.pipelineEnded() - ran.pipelineBegan()) / 1e9,
            (System.nanoTime() - accountingBegan) / 1e9);
    String disagreement = disagreement(summary);
    if (disagreement != null) {
      throw new CountsDisagreeException(disagreement, summary);
    }
    return summary;
  }

  /**
   * Null when every count agrees, else one sentence naming the first disagreement: for each table,
   * written against read, then PostgreSQL's count now against what was read (a count not taken is
   * skipped), then what ClickHouse holds against what was written.
   */
  static String disagreement(Summary s) {
    WriteAccounting.Received r = s.received();
    for (ClickHouseTable t : ClickHouseTable.values()) {
      String name = t.tableName();
      if (s.written().get(t) != s.read().get(t)) {
        return String.format(
            "%s written (%d) differ from %s read (%d)",
            name, s.written().get(t), name, s.read().get(t));
      }
    }
    for (ClickHouseTable t : ClickHouseTable.values()) {
      long now = r.inPostgres().get(t);
      if (now != WriteAccounting.NOT_COUNTED && now != s.read().get(t)) {
        return String.format(
            "PostgreSQL changed during the run: the window now has %d %s, the run read %d;"
                + " run it again",
            now, t.tableName(), s.read().get(t));
      }
    }
    for (ClickHouseTable t : ClickHouseTable.values()) {
      if (r.inClickHouse().get(t) != s.written().get(t)) {
        return String.format(
            "ClickHouse holds %d of the %d %s written",
            r.inClickHouse().get(t), s.written().get(t), t.tableName());
      }
    }
    return null;
  }

  /**
   * The ranges a chunk's read queries in parallel: one per {@code rowsPerPartition} counted
   * scorecards (at most {@code maxPartitions}), cut like the chunks at quantiles of the update
   * times. Equal time slices of skewed data gave the read's subtasks unequal work (the seeded
   * 200,000-scorecard window's four quarters hold 107,542, 64,989, 21,371 and 6,098 scorecards),
   * and one of Flink's two subtasks idled while the other finished.
   */
  public static PartitionPlan partitionPlan(ReindexConfig config, long counted)
      throws SQLException {
    int partitions =
        PartitionPlan.partitions(counted, config.rowsPerPartition(), config.maxPartitions());
    return new PartitionPlan(counted, cutAtQuantiles(config, equalFractions(partitions)));
  }

  /**
   * Where to cut a window of {@code total} scorecards into chunks of at most about {@code
   * perChunk}, as fractions of its work: {@code n} equal chunks.
   */
  static double[] chunkFractions(long total, long perChunk) {
    return equalFractions((int) Math.max(1, Math.min(10_000, (total + perChunk - 1) / perChunk)));
  }

  /** The fractions that cut work into {@code n} equal parts. */
  static double[] equalFractions(int n) {
    double[] fractions = new double[n - 1];
    for (int i = 1; i < n; i++) {
      fractions[i - 1] = (double) i / n;
    }
    return fractions;
  }

  /**
   * The window cut into contiguous, half-open chunks for a window of {@code total} scorecards
   * ({@link #chunkFractions}), at the quantiles of the update times PostgreSQL has for the window
   * (equal time slices put most of the work in one chunk when the data is skewed, and a chunk's
   * size bounds a run's memory). Fewer chunks come back when quantiles coincide.
   */
  public static java.util.List<ReindexWindow.TimeRange> chunks(
      ReindexConfig config, long total, long perChunk) throws SQLException {
    return cutAtQuantiles(config, chunkFractions(total, perChunk));
  }

  /**
   * The config's window cut at the given fractions of its work: the quantiles of the update times
   * that decide membership, over the mode's flows (one PostgreSQL query). Contiguous and half-open;
   * fewer ranges when quantiles coincide.
   */
  static java.util.List<ReindexWindow.TimeRange> cutAtQuantiles(
      ReindexConfig config, double[] cutAt) throws SQLException {
    ReindexWindow w = config.window();
    if (cutAt.length == 0) {
      return java.util.List.of(new ReindexWindow.TimeRange(w.startMicros(), w.endMicros()));
    }
    java.util.List<Flow> flows = java.util.List.copyOf(config.mode().flows());
    Double[] fractions = java.util.Arrays.stream(cutAt).boxed().toArray(Double[]::new);
    java.util.TreeSet<Long> cuts = new java.util.TreeSet<>();
    try (Connection connection = config.postgres().connect();
        PreparedStatement statement =
            connection.prepareStatement(PostgresQueries.chunkBoundaries(flows))) {
      statement.setArray(1, connection.createArrayOf("float8", fractions));
      int p = 2;
      for (int i = 0; i < flows.size(); i++) {
        statement.setObject(p++, ReindexWindow.toOffsetDateTime(w.startMicros()));
        statement.setObject(p++, ReindexWindow.toOffsetDateTime(w.endMicros()));
      }
      try (ResultSet rs = statement.executeQuery()) {
        if (rs.next() && rs.getArray(1) != null) {
          for (Object o : (Object[]) rs.getArray(1).getArray()) {
            if (o instanceof java.sql.Timestamp t) {
              long micros =
                  Math.addExact(
                      Math.multiplyExact(t.toInstant().getEpochSecond(), 1_000_000L),
                      t.getNanos() / 1_000);
              if (micros > w.startMicros() && micros < w.endMicros()) {
                cuts.add(micros);
              }
            }
          }
        }
      }
    }
    java.util.List<ReindexWindow.TimeRange> ranges = new java.util.ArrayList<>();
    long lo = w.startMicros();
    for (long cut : cuts) {
      ranges.add(new ReindexWindow.TimeRange(lo, cut));
      lo = cut;
    }
    ranges.add(new ReindexWindow.TimeRange(lo, w.endMicros()));
    return ranges;
  }

  /**
   * The scorecards of the window over every flow of the mode: the progress total and the partition
   * plan's count.
   */
  static long countInPostgres(ReindexConfig config) throws SQLException {
    long total = 0;
    try (Connection connection = config.postgres().connect()) {
      for (Flow flow : config.mode().flows()) {
        try (PreparedStatement statement = connection.prepareStatement(flow.countScorecards)) {
          statement.setObject(1, ReindexWindow.toOffsetDateTime(config.window().startMicros()));
          statement.setObject(2, ReindexWindow.toOffsetDateTime(config.window().endMicros()));
          try (ResultSet rs = statement.executeQuery()) {
            rs.next();
            total += rs.getLong(1);
          }
        }
      }
    }
    return total;
  }

  private static long counter(MetricQueryResults metrics, String name, boolean committed) {
    long total = 0;
    for (MetricResult<Long> c : metrics.getCounters()) {
      if (c.getName().getNamespace().equals(ReindexMetrics.NAMESPACE)
          && c.getName().getName().equals(name)) {
        Long v = committed ? committedOrAttempted(c) : c.getAttempted();
        total += v == null ? 0 : v;
      }
    }
    return total;
  }

  private static Long committedOrAttempted(MetricResult<Long> c) {
    try {
      return c.getCommitted();
    } catch (UnsupportedOperationException e) {
      return c.getAttempted();
    }
  }
}
