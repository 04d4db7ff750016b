package dev.scorecards.reindex.pipeline;

import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;

/** The process-scorecard reindex as a Beam pipeline: read, batch, join, clean up, write. */
public final class ReindexPipeline {
  private ReindexPipeline() {}

  public static Pipeline build(ReindexConfig config, PartitionPlan plan, String clickHouseVersion, PipelineOptions options) {
    Pipeline pipeline = Pipeline.create(options);

    PCollection<Row> scorecards =
        pipeline.apply("ReadProcessScorecards", new ReadProcessScorecards(plan.ranges(), config.postgres(), config.fetchSize()));
    joinCleanUpAndWrite(scorecards, config, clickHouseVersion);
    return pipeline;
  }

  /**
   * The repair's pipeline: the same batching, join, clean-up and writes for the process
   * scorecards among {@code ids} (a verification's differences) instead of a window's.
   * The clean-up deletes every ClickHouse row of those ids; ids PostgreSQL no longer has as
   * process scorecards are deleted by the caller ({@link ClickHouseDeletes}).
   */
  public static Pipeline buildForIds(ReindexConfig config, java.util.List<String> ids, String clickHouseVersion, PipelineOptions options) {
    Pipeline pipeline = Pipeline.create(options);
    PCollection<Row> scorecards = pipeline.apply("ReadProcessScorecardsByIds", new ReadProcessScorecardsByIds(ids, config.postgres()));
    joinCleanUpAndWrite(scorecards, config, clickHouseVersion);
    return pipeline;
  }

  private static void joinCleanUpAndWrite(PCollection<Row> scorecards, ReindexConfig config, String clickHouseVersion) {
    PCollectionTuple joined =
        scorecards
            .apply("BatchScorecards", new BatchScorecards(config.batchSize(), BatchScorecards.DEFAULT_SHARDS))
            .apply("JoinScores", new JoinScores(config.postgres()));
    PCollection<Row> scorecardRows = joined.get(JoinScores.SCORECARDS);
    PCollection<Row> scoreRows = joined.get(JoinScores.SCORES);

    if (config.cleanUpBeforeWrite()) {
      PCollection<Integer> deletesDone =
          scorecards
              .apply("ScorecardIds", MapElements.into(TypeDescriptors.strings()).via((Row r) -> r.getString("scorecard_id")))
              .apply("CleanUpClickHouse", new CleanUpClickHouse(config.window(), config.postgres(), config.clickHouse(), config.deleteBatchSize()));
      scorecardRows = scorecardRows.apply("ScorecardsAfterCleanUp", Wait.on(deletesDone)).setRowSchema(ClickHouseTable.SCORECARDS.beamSchema());
      scoreRows = scoreRows.apply("ScoresAfterCleanUp", Wait.on(deletesDone)).setRowSchema(ClickHouseTable.SCORES.beamSchema());
    }

    scorecardRows.apply(
        "WriteScorecards", new WriteToClickHouse(ClickHouseTable.SCORECARDS, config.clickHouse(), clickHouseVersion, config.insertBlockSize()));
    scoreRows.apply(
        "WriteScores", new WriteToClickHouse(ClickHouseTable.SCORES, config.clickHouse(), clickHouseVersion, config.insertBlockSize()));
  }
}
