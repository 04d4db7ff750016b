package dev.scorecards.reindex.pipeline;

import dev.scorecards.reindex.clickhouse.ClickHouseDeletes;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.model.Flow;
import dev.scorecards.reindex.model.PartitionPlan;
import dev.scorecards.reindex.run.ReindexConfig;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * The reindex as a Beam pipeline: read (per flow of the mode), batch, join, clean up, write. The
 * conversation and process flows differ only in what they read; in mode {@code all} both reads feed
 * the same batching, join and writes.
 */
public final class ReindexPipeline {
  private ReindexPipeline() {}

  public static Pipeline build(
      ReindexConfig config, PartitionPlan plan, String clickHouseVersion, PipelineOptions options) {
    Pipeline pipeline = Pipeline.create(options);
    PCollectionList<Row> reads = PCollectionList.empty(pipeline);
    for (Flow flow : config.mode().flows()) {
      reads =
          reads.and(
              pipeline.apply(
                  "Read" + stepName(flow) + "Scorecards",
                  ReadWindowRows.scorecards(
                      flow, plan.ranges(), config.postgres(), config.fetchSize())));
    }
    PCollection<Row> scorecards =
        reads
            .apply("AllScorecards", Flatten.pCollections())
            .setRowSchema(ClickHouseTable.SCORECARDS.beamSchema());
    PCollection<Row> conversations =
        config.mode().flows().contains(Flow.CONVERSATION)
            ? pipeline.apply(
                "ReadConversations",
                ReadWindowRows.conversations(plan.ranges(), config.postgres(), config.fetchSize()))
            : null;
    joinCleanUpAndWrite(
        scorecards, conversations, config, clickHouseVersion, !config.cleanUpBeforeWrite());
    return pipeline;
  }

  /**
   * The repair's pipeline: the same batching, join and writes for the scorecards and conversations
   * among the given ids (a verification's differences) instead of a window's. The caller deletes
   * their ClickHouse rows first ({@link ClickHouseDeletes}).
   */
  public static Pipeline buildForIds(
      ReindexConfig config,
      List<String> scorecardIds,
      List<String> conversationIds,
      String clickHouseVersion,
      PipelineOptions options) {
    Pipeline pipeline = Pipeline.create(options);
    PCollection<Row> scorecards =
        pipeline.apply(
            "ReadScorecardsByIds", ReadByIds.scorecards(scorecardIds, config.postgres()));
    PCollection<Row> conversations =
        conversationIds.isEmpty()
            ? null
            : pipeline.apply(
                "ReadConversationsByIds",
                ReadByIds.conversations(conversationIds, config.postgres()));
    // The repair deleted these rows first: writing them again must not be taken for a duplicate.
    joinCleanUpAndWrite(
        scorecards, conversations, config.withCleanUpBeforeWrite(false), clickHouseVersion, false);
    return pipeline;
  }

  private static String stepName(Flow flow) {
    return flow == Flow.PROCESS ? "Process" : "Conversation";
  }

  private static void joinCleanUpAndWrite(
      PCollection<Row> scorecards,
      PCollection<Row> conversations,
      ReindexConfig config,
      String version,
      boolean deduplicate) {
    PCollectionTuple joined =
        scorecards
            .apply("BatchScorecards", new BatchScorecards(config.batchSize()))
            .apply("JoinScores", new JoinScores(config.postgres()));
    PCollection<Row> scorecardRows = joined.get(JoinScores.SCORECARDS);
    PCollection<Row> scoreRows = joined.get(JoinScores.SCORES);

    if (config.cleanUpBeforeWrite()) {
      PCollection<String> conversationIds =
          conversations == null
              ? scorecards
                  .getPipeline()
                  .apply("NoConversations", Create.empty(StringUtf8Coder.of()))
              : conversations.apply(
                  "ConversationIds",
                  MapElements.into(TypeDescriptors.strings())
                      .via((Row r) -> r.getString("conversation_id")));
      PCollection<Integer> deletesDone =
          PCollectionTuple.of(
                  CleanUpClickHouse.SCORECARD_IDS,
                  scorecards.apply(
                      "ScorecardIds",
                      MapElements.into(TypeDescriptors.strings())
                          .via((Row r) -> r.getString("scorecard_id"))))
              .and(CleanUpClickHouse.CONVERSATION_IDS, conversationIds)
              .apply(
                  "CleanUpClickHouse",
                  new CleanUpClickHouse(
                      config.window(),
                      config.mode().flows(),
                      config.postgres(),
                      config.clickHouse(),
                      config.deleteBatchSize()));
      scorecardRows =
          scorecardRows
              .apply("ScorecardsAfterCleanUp", Wait.on(deletesDone))
              .setRowSchema(ClickHouseTable.SCORECARDS.beamSchema());
      scoreRows =
          scoreRows
              .apply("ScoresAfterCleanUp", Wait.on(deletesDone))
              .setRowSchema(ClickHouseTable.SCORES.beamSchema());
      if (conversations != null) {
        conversations =
            conversations
                .apply("ConversationsAfterCleanUp", Wait.on(deletesDone))
                .setRowSchema(ClickHouseTable.CONVERSATIONS.beamSchema());
      }
    }

    if (conversations != null) {
      conversations.apply(
          "WriteConversations",
          new WriteToClickHouse(
              ClickHouseTable.CONVERSATIONS,
              config.clickHouse(),
              version,
              config.insertBlockSize(),
              deduplicate,
              false));
    }
    scorecardRows.apply(
        "WriteScorecards",
        new WriteToClickHouse(
            ClickHouseTable.SCORECARDS,
            config.clickHouse(),
            version,
            config.insertBlockSize(),
            deduplicate,
            true));
    scoreRows.apply(
        "WriteScores",
        new WriteToClickHouse(
            ClickHouseTable.SCORES,
            config.clickHouse(),
            version,
            config.insertBlockSize(),
            deduplicate,
            true));
  }
}
