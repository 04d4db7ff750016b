package dev.scorecards.reindex.verify;

import dev.scorecards.reindex.clickhouse.ClickHouseClient;
import dev.scorecards.reindex.clickhouse.ClickHouseDeletes;
import dev.scorecards.reindex.model.ClickHouseTable;
import dev.scorecards.reindex.pipeline.ReindexPipeline;
import dev.scorecards.reindex.run.ReindexConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Repairs only what a verification found: every scorecard that is missing, different, extra,
 * repeated (on several shards), or has such a score, and every such conversation, is deleted from
 * ClickHouse (all its rows, then waiting for the mutations), and those PostgreSQL still has are
 * written again through the reindex pipeline. Extra ones PostgreSQL no longer has stay deleted.
 */
public final class Repair {
  private Repair() {}

  /** What a repair did. */
  public record Outcome(
      int scorecardsAffected, int conversationsAffected, ClickHouseDeletes.Deleted deleted) {}

  /** The scorecard ids a report's differences touch. */
  static List<String> affectedScorecards(VerificationReport report) {
    return affected(report, false);
  }

  /** The conversation ids a report's differences touch. */
  static List<String> affectedConversations(VerificationReport report) {
    return affected(report, true);
  }

  private static List<String> affected(VerificationReport report, boolean conversations) {
    TreeSet<String> ids = new TreeSet<>();
    for (VerificationReport.TableReport t : report.tables()) {
      if (t.table().equals(ClickHouseTable.CONVERSATIONS.tableName()) != conversations) {
        continue;
      }
      t.missing().forEach(k -> ids.add(k.get(0)));
      t.extra().forEach(k -> ids.add(k.get(0)));
      t.repeated().forEach(k -> ids.add(k.get(0)));
      t.different().forEach(d -> ids.add(d.key().get(0)));
    }
    return new ArrayList<>(ids);
  }

  public static Outcome run(
      ReindexConfig config,
      VerificationReport report,
      String clickHouseVersion,
      PipelineOptions options)
      throws InterruptedException {
    List<String> ids = affectedScorecards(report);
    List<String> conversationIds = affectedConversations(report);
    if (ids.isEmpty() && conversationIds.isEmpty()) {
      return new Outcome(0, 0, ClickHouseDeletes.Deleted.NONE);
    }
    config = config.resolved();
    ClickHouseClient clickHouse = new ClickHouseClient(config.clickHouse());
    ClickHouseDeletes.Deleted deleted =
        ClickHouseDeletes.submit(clickHouse, ClickHouseTable.SCORECARDS.idColumn(), ids)
            .plus(
                ClickHouseDeletes.submit(
                    clickHouse, ClickHouseTable.CONVERSATIONS.idColumn(), conversationIds));
    ClickHouseDeletes.waitForMutations(clickHouse, ClickHouseDeletes.MUTATION_TIMEOUT);
    PipelineResult result =
        ReindexPipeline.buildForIds(config, ids, conversationIds, clickHouseVersion, options).run();
    PipelineResult.State state = result.waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("the repair pipeline ended " + state);
    }
    return new Outcome(ids.size(), conversationIds.size(), deleted);
  }
}
